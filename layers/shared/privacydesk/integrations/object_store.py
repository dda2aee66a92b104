"""S3 behind a small port: streaming reads, writes, presigned links, version-aware deletes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any, Protocol

from privacydesk.integrations.aws import client


class ObjectStore(Protocol):
    def put(self, bucket: str, key: str, body: bytes | IO[bytes], content_type: str = ...) -> None: ...
    def open(self, bucket: str, key: str) -> IO[bytes]: ...
    def presigned_get(self, bucket: str, key: str, expires_in_seconds: int) -> str: ...
    def delete_all_versions(self, bucket: str, prefix: str) -> int: ...
    def move(self, bucket: str, source_key: str, target_key: str) -> None: ...
    def delete_object(self, bucket: str, key: str) -> int: ...


class S3ObjectStore:
    def put(
        self, bucket: str, key: str, body: bytes | IO[bytes], content_type: str = "application/octet-stream"
    ) -> None:
        if isinstance(body, bytes):
            client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
        else:
            client("s3").upload_fileobj(body, bucket, key, ExtraArgs={"ContentType": content_type})

    def open(self, bucket: str, key: str) -> IO[bytes]:
        """A streaming body: read it in chunks, never whole (inbound mail goes up to 40 MB).

        Raises FileNotFoundError when there is no such object.
        """
        s3 = client("s3")
        try:
            stream: IO[bytes] = s3.get_object(Bucket=bucket, Key=key)["Body"]
        except s3.exceptions.NoSuchKey as error:
            raise FileNotFoundError(f"s3://{bucket}/{key}") from error
        return stream

    def move(self, bucket: str, source_key: str, target_key: str) -> None:
        """Copy within the bucket (server-side, any size), then delete the source."""
        from botocore.exceptions import ClientError

        s3 = client("s3")
        try:
            s3.copy({"Bucket": bucket, "Key": source_key}, bucket, target_key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise FileNotFoundError(f"s3://{bucket}/{source_key}") from error
            raise
        s3.delete_object(Bucket=bucket, Key=source_key)

    def presigned_get(self, bucket: str, key: str, expires_in_seconds: int) -> str:
        url: str = client("s3").generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in_seconds
        )
        return url

    def delete_all_versions(self, bucket: str, prefix: str) -> int:
        """Remove every version and delete marker under a prefix; returns how many were removed."""
        removed = 0
        for batch in self._versions(bucket, prefix):
            client("s3").delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            removed += len(batch)
        return removed

    def delete_object(self, bucket: str, key: str) -> int:
        """Remove every version and delete marker of exactly one key (not its prefix siblings)."""
        removed = 0
        for batch in self._versions(bucket, key):
            exact = [v for v in batch if v["Key"] == key]
            if exact:
                client("s3").delete_objects(Bucket=bucket, Delete={"Objects": exact, "Quiet": True})
                removed += len(exact)
        return removed

    def _versions(self, bucket: str, prefix: str) -> Iterator[list[dict[str, Any]]]:
        paginator = client("s3").get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            items = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            for start in range(0, len(items), 1000):
                if items[start : start + 1000]:
                    yield items[start : start + 1000]
