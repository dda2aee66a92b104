"""S3 behind a small port: streaming reads, writes, presigned links, version-aware deletes."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from functools import cache
from typing import IO, Any, cast

from privacydesk.kernel.aws import client
from privacydesk.kernel.settings import get_settings, on_reload


@cache
def _signing_client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4"))


on_reload(_signing_client.cache_clear)


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
        """A SigV4 link (SigV2 links are deprecated; SigV4 allows at most 7 days)."""
        url: str = _signing_client().generate_presigned_url(
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


PART_BYTES = 8 << 20  # S3 parts must be at least 5 MiB (all but the last)


class MultipartWriter(io.RawIOBase):
    """A write-only stream onto one S3 object, uploaded in 8 MiB parts as it fills.

    Memory holds at most one part. `close()` completes the upload; leaving the `with` block on an
    exception aborts it, so no half-written object is ever visible.
    """

    def __init__(self, bucket: str, key: str, content_type: str) -> None:
        super().__init__()
        self.bucket, self.key = bucket, key
        self._upload_id: str = client("s3").create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)[
            "UploadId"
        ]
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._aborted = False
        self.bytes_written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buffer += view
        self.bytes_written += len(view)
        while len(self._buffer) >= PART_BYTES:
            with memoryview(self._buffer) as whole:
                part = bytes(whole[:PART_BYTES])  # one copy of the part, not two
            del self._buffer[:PART_BYTES]
            self._upload(part)
        return len(view)

    def _upload(self, body: bytes) -> None:
        number = len(self._parts) + 1
        reply = client("s3").upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=body
        )
        self._parts.append({"PartNumber": number, "ETag": reply["ETag"]})

    def abort(self) -> None:
        if not self._aborted and not self.closed:
            self._aborted = True
            client("s3").abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)
            super().close()

    def close(self) -> None:
        if self.closed:
            return
        if self._buffer or not self._parts:
            self._upload(bytes(self._buffer))
            self._buffer.clear()
        client("s3").complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
        )
        super().close()

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is not None:
            self.abort()
        else:
            self.close()

    def __del__(self) -> None:
        # IOBase would close (complete) a forgotten writer; an unfinished upload is aborted instead.
        if not self.closed:
            with contextlib.suppress(Exception):  # best effort; the bucket's lifecycle aborts it in a day
                self.abort()


class ExportBucket:
    """Where Access bundles go: the export bucket (SSE-KMS, 7-day lifecycle). Requesters reach a
    bundle through fulfilment.domain.export_links, which presigns it for a few minutes at a time."""

    def __init__(self, bucket: str | None = None) -> None:
        self._bucket = bucket
        self.objects = S3ObjectStore()

    @property
    def bucket(self) -> str:
        # Read when used: functions that build the fulfilment services only to look a subject up
        # (the admin API) are not given EXPORT_BUCKET, and never write an export.
        return self._bucket or get_settings().export_bucket

    @bucket.setter
    def bucket(self, name: str) -> None:
        self._bucket = name

    def writer(self, key: str, content_type: str) -> IO[bytes]:
        return cast(IO[bytes], MultipartWriter(self.bucket, key, content_type))

    def remove(self, key: str) -> int:
        """Every version of one export (a Delete leaves no earlier copy behind)."""
        return self.objects.delete_object(self.bucket, key)
