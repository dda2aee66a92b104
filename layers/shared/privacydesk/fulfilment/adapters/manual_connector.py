"""A store of kind `manual`: a system PrivacyDesk cannot reach, where the DPO does the step by hand.

Calling it opens (or keeps open) the DPO's task: the step stays pending until the DPO completes it
(admin API or `privacydesk tasks complete`). For an Access, the DPO's attachment is kept in the
export bucket beside the request's export, under exports/<request_id>/manual/<store>/, and copied
into the bundle.
"""

from __future__ import annotations

import re
from typing import IO

from privacydesk.datamap.domain.model import Store
from privacydesk.fulfilment.domain.pending_steps import StepAnswer
from privacydesk.kernel.aws import client
from privacydesk.kernel.errors import InvalidInput
from privacydesk.kernel.settings import get_settings
from privacydesk.requests.domain.model import PrivacyRequest
from privacydesk.subjects.domain.subjects import SubjectIds

MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024  # within API Gateway's payload limit, base64 included
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def attachment_key(request_id: str, store: str, file_name: str) -> str:
    if not _SAFE_NAME.fullmatch(file_name):
        raise InvalidInput("file_name: letters, digits, dot, dash, underscore (100 at most)", code="bad_file_name")
    return f"exports/{request_id}/manual/{store}/{file_name}"


class ManualConnector:
    def __init__(self, store: Store) -> None:
        self.store = store

    def call(self, operation: str, request: PrivacyRequest, ids: SubjectIds, key: str) -> StepAnswer:
        return StepAnswer(done=False)  # the task is the step's own record; the DPO completes it


class ManualAttachments:
    """The DPO's files for a manual Access step, in the export bucket (same lifecycle as exports)."""

    def __init__(self, bucket: str | None = None) -> None:
        self._bucket = bucket

    @property
    def bucket(self) -> str:
        # Read when used: a function that never touches attachments is not given EXPORT_BUCKET.
        return self._bucket or get_settings().export_bucket

    def save(self, request_id: str, store: str, file_name: str, content: bytes) -> str:
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise InvalidInput("the attachment is larger than 4 MiB", code="attachment_too_large")
        key = attachment_key(request_id, store, file_name)
        client("s3").put_object(Bucket=self.bucket, Key=key, Body=content)
        return key

    def open(self, key: str) -> IO[bytes]:
        stream: IO[bytes] = client("s3").get_object(Bucket=self.bucket, Key=key)["Body"]
        return stream
