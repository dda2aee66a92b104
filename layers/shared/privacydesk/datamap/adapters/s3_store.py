"""The one adapter for an S3 store of the data map: objects under a per-subject prefix (e.g.
"sender-id/{account_id}/"), in a bucket the template created or one that already existed.

Erasure removes every version and delete marker under the subject's prefix. The bucket is checked
on first use in a container; a missing bucket or unset variable raises StoreMisconfigured.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from botocore.exceptions import ClientError

from privacydesk.datamap.adapters.locations import physical_name
from privacydesk.datamap.domain.anonymization import AnonymizationRule
from privacydesk.datamap.domain.model import Store, SubjectLookup
from privacydesk.datamap.domain.store_errors import StoreMisconfigured, StoreWriteError
from privacydesk.kernel.aws import client

PAGE_SIZE = 500
DELETE_LIMIT = 1000  # DeleteObjects' limit
_buckets_checked: set[str] = set()


class S3PrefixStore:
    """An S3 store of the data map (fulfilment.domain.ports.StoreConnector)."""

    def __init__(self, store: Store) -> None:
        if store.kind != "s3" or store.bucket is None:
            raise ValueError(f"{store.name} is not an S3 store")
        self.store = store
        self.bucket = physical_name(store)

    def check_bucket(self) -> None:
        """Once per bucket and container: it exists (and this function may list it)."""
        if self.bucket in _buckets_checked:
            return
        try:
            client("s3").head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) in ("404", "NoSuchBucket"):
                raise StoreMisconfigured(self.store.name, f"bucket {self.bucket} does not exist") from error
            raise
        _buckets_checked.add(self.bucket)

    def prefix_for(self, lookup: SubjectLookup, value: str) -> str | None:
        """The subject's prefix, or None when this lookup cannot fill it (no placeholder for it)."""
        template = self.store.prefix or ""
        placeholder = "{" + lookup.key.value + "}"
        if placeholder not in template or not value or "/" in value:
            return None  # never a bare or partial prefix: that would reach other subjects' objects
        prefix = template.replace(placeholder, value)
        return None if "{" in prefix else prefix

    def pages(
        self, lookup: SubjectLookup, value: str, *, now_epoch: int, include_expired: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        prefix = self.prefix_for(lookup, value)
        if prefix is None:
            return
        self.check_bucket()
        paginator = client("s3").get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, PaginationConfig={"PageSize": PAGE_SIZE}):
            items = [
                {
                    "key": entry["Key"],
                    "file_name": entry["Key"][len(prefix) :],
                    "size": int(entry["Size"]),
                    "last_modified": entry["LastModified"].isoformat(),
                    lookup.key.value: value,
                }
                for entry in page.get("Contents", [])
            ]
            if items:
                yield items

    def open(self, item: dict[str, Any]) -> IO[bytes] | None:
        stream: IO[bytes] = client("s3").get_object(Bucket=self.bucket, Key=item["key"])["Body"]
        return stream

    def delete(self, items: list[dict[str, Any]]) -> int:
        return sum(self._delete_versions(item["key"], exact=True) for item in items)

    def anonymize(self, items: list[dict[str, Any]], rule: AnonymizationRule) -> int:
        return self.delete(items)  # an object cannot be partly kept: anonymizing it removes it

    def assign(self, items: list[dict[str, Any]], values: dict[str, Any]) -> int:
        raise StoreWriteError(self.store.name, "objects are not corrected field by field")

    def remove_all(self, lookup: SubjectLookup, value: str) -> int:
        """Every version and delete marker under the subject's prefix."""
        prefix = self.prefix_for(lookup, value)
        return 0 if prefix is None else self._delete_versions(prefix, exact=False)

    def versions_left(self, lookup: SubjectLookup, value: str) -> int:
        prefix = self.prefix_for(lookup, value)
        return 0 if prefix is None else sum(len(batch) for batch in self._versions(prefix, exact=False))

    def _delete_versions(self, prefix: str, *, exact: bool) -> int:
        removed = 0
        for batch in self._versions(prefix, exact=exact):
            reply = client("s3").delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            if reply.get("Errors"):
                raise StoreWriteError(self.store.name, f"{len(reply['Errors'])} object versions were not deleted")
            removed += len(batch)
        return removed

    def _versions(self, prefix: str, *, exact: bool) -> Iterator[list[dict[str, Any]]]:
        paginator = client("s3").get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            batch = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                if not exact or v["Key"] == prefix
            ]
            for start in range(0, len(batch), DELETE_LIMIT):
                yield batch[start : start + DELETE_LIMIT]
