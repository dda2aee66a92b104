"""One connector per *kind* of store in the data map: a DynamoDB table or an S3 prefix.

Fulfilment drives every store through the same small interface (fulfilment.domain.ports.StoreConnector):
find a subject's items page by page by one lookup (account id, email, E.164 phone, SMS recipient),
delete or anonymize them, correct fields, and count what is left for the verification pass.
Adding a store is a data-map change; a new kind of store is one more class in CONNECTORS.

Items cross this boundary as plain Python (str, int, float, list, dict). DynamoDB deletes expired
items lazily, so reads for an export skip items whose TTL has passed; erasure and the verification
pass see them too (an expired item still holds personal data until DynamoDB removes it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from privacydesk.datamap.adapters.store_items import from_low_level as _from_low_level
from privacydesk.datamap.adapters.store_items import to_low_level as _low_level
from privacydesk.datamap.adapters.store_items import write_anonymized
from privacydesk.datamap.domain.anonymization import AnonymizationRule
from privacydesk.datamap.domain.model import Store, SubjectKey, SubjectLookup
from privacydesk.datamap.domain.ports import StoreConnector, StoreWriteError
from privacydesk.kernel.aws import client
from privacydesk.kernel.batch_writes import delete_keys
from privacydesk.kernel.settings import get_settings

TTL_ATTRIBUTE = "expires_at"
PAGE_SIZE = 500
_serializer = TypeSerializer()


def _expired(item: dict[str, Any], now_epoch: int) -> bool:
    ttl = item.get(TTL_ATTRIBUTE)
    return isinstance(ttl, int | float) and ttl <= now_epoch


class DynamoDbConnector:
    """A DynamoDB table: lookups are Queries on the table or one of its indexes, never Scans."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.table_name: str = getattr(get_settings(), store.table_setting or "")

    def key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self.store.key_attributes}

    def pages(
        self, lookup: SubjectLookup, value: str, *, now_epoch: int, include_expired: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": lookup.attribute},
            "ExpressionAttributeValues": {":s": {"S": value}},
            "Limit": PAGE_SIZE,
        }
        if lookup.index:
            params["IndexName"] = lookup.index
        else:
            params["ConsistentRead"] = True
        for page in client("dynamodb").get_paginator("query").paginate(**params):
            raw = [_from_low_level(item) for item in page.get("Items", [])]
            if lookup.index and raw and not self._complete(raw[0]):
                raw = self._fetch([self.key_of(item) for item in raw])  # a KEYS_ONLY index
            items = [item for item in raw if include_expired or not _expired(item, now_epoch)]
            if items:
                yield items

    def _complete(self, item: dict[str, Any]) -> bool:
        """Does an index item carry the store's fields (ALL projection) or only keys?"""
        return any(name in item for name in self.store.fields if name not in self.store.key_attributes)

    def _fetch(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self.table_name: {"Keys": [_low_level(k) for k in keys[start : start + 100]], "ConsistentRead": True}
            }
            for _ in range(8):
                reply = client("dynamodb").batch_get_item(RequestItems=request)
                found.extend(_from_low_level(item) for item in reply.get("Responses", {}).get(self.table_name, []))
                request = reply.get("UnprocessedKeys") or {}
                if not request:
                    break
            if request:
                raise StoreWriteError(self.store.name, "keys were left unread after retries")
        return found

    def delete(self, items: list[dict[str, Any]]) -> int:
        """BatchWriteItem, 25 a call, unprocessed items retried with backoff; leftovers raise."""
        try:
            result = delete_keys(self.table_name, [_low_level(self.key_of(item)) for item in items])
        except ClientError as error:  # throttled or refused after botocore's retries: name the store
            raise StoreWriteError(self.store.name, str(error.response.get("Error", {}).get("Code"))) from error
        if result.unprocessed:
            raise StoreWriteError(self.store.name, f"{result.unprocessed} deletes were left unprocessed")
        return result.written

    def anonymize(self, items: list[dict[str, Any]], rule: AnonymizationRule) -> int:
        """The retention sweep's rule (datamap.adapters.store_items.write_anonymized), item by item."""
        try:
            return sum(write_anonymized(self.table_name, self.store, item, rule) for item in items)
        except ClientError as error:  # throttled or refused after botocore's retries: name the store
            raise StoreWriteError(self.store.name, str(error.response.get("Error", {}).get("Code"))) from error

    def assign(self, items: list[dict[str, Any]], values: dict[str, Any]) -> int:
        return sum(self._update(item, remove=[], assign=values) for item in items)

    def _update(self, item: dict[str, Any], *, remove: list[str], assign: dict[str, Any]) -> bool:
        names = {f"#r{i}": name for i, name in enumerate(remove)}
        names.update({f"#a{i}": name for i, name in enumerate(assign)})
        names["#k"] = self.store.key_attributes[0]
        clauses = []
        if assign:
            clauses.append("SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(assign))))
        if remove:
            clauses.append("REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove))))
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": _low_level(self.key_of(item)),
            "UpdateExpression": " ".join(clauses),
            "ConditionExpression": "attribute_exists(#k)",
            "ExpressionAttributeNames": names,
        }
        if assign:
            params["ExpressionAttributeValues"] = {
                f":a{i}": _serializer.serialize(v) for i, v in enumerate(assign.values())
            }
        try:
            client("dynamodb").update_item(**params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False  # already gone: nothing to anonymize or correct
            raise
        return True

    def remove_all(self, lookup: SubjectLookup, value: str) -> int:
        return 0  # a table has no older versions: its items are deleted one by one above

    def open(self, item: dict[str, Any]) -> IO[bytes] | None:
        return None

    def versions_left(self, lookup: SubjectLookup, value: str) -> int:
        return 0


class S3PrefixConnector:
    """Objects under a per-subject prefix (e.g. "sender-id/{account_id}/"); erasure removes every version."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.bucket: str = getattr(get_settings(), store.bucket_setting or "")

    def prefix_for(self, lookup: SubjectLookup, value: str) -> str:
        template = self.store.prefix or ""
        prefix = template.replace("{" + lookup.key.value + "}", value)
        if "{" in prefix or not value:
            raise ValueError(f"{self.store.name}: prefix {template!r} cannot be filled by a {lookup.key.value}")
        return prefix

    def pages(
        self, lookup: SubjectLookup, value: str, *, now_epoch: int, include_expired: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        if lookup.key != SubjectKey.ACCOUNT_ID and "{" + lookup.key.value + "}" not in (self.store.prefix or ""):
            return
        prefix = self.prefix_for(lookup, value)
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
        removed = 0
        for item in items:
            removed += self._delete_versions(item["key"], exact=True)
        return removed

    def anonymize(self, items: list[dict[str, Any]], rule: AnonymizationRule) -> int:
        return self.delete(items)  # an object cannot be partly kept: anonymizing it removes it

    def assign(self, items: list[dict[str, Any]], values: dict[str, Any]) -> int:
        raise StoreWriteError(self.store.name, "objects are not corrected field by field")

    def remove_all(self, lookup: SubjectLookup, value: str) -> int:
        """Every version and delete marker under the subject's prefix."""
        return self._delete_versions(self.prefix_for(lookup, value), exact=False)

    def versions_left(self, lookup: SubjectLookup, value: str) -> int:
        if "{" + lookup.key.value + "}" not in (self.store.prefix or ""):
            return 0
        return sum(len(batch) for batch in self._versions(self.prefix_for(lookup, value), exact=False))

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
            for start in range(0, len(batch), 1000):
                yield batch[start : start + 1000]


CONNECTORS: dict[str, type[DynamoDbConnector] | type[S3PrefixConnector]] = {
    "dynamodb": DynamoDbConnector,
    "s3": S3PrefixConnector,
}


def connector_for(store: Store) -> StoreConnector:
    return CONNECTORS[store.kind](store)
