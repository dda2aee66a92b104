"""Recipient batches onto the notice queue (SQS SendMessageBatch, at most 10 entries a call),
and SES sends whose errors are told apart (did SES take the message or not)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from botocore.exceptions import ClientError

from privacydesk.change_notices.domain.model import RecipientBatch
from privacydesk.change_notices.domain.notice_delivery import MailRefused
from privacydesk.kernel.aws import client
from privacydesk.kernel.mailer import SesMailer
from privacydesk.kernel.ports import OutgoingEmail
from privacydesk.kernel.settings import get_settings

SQS_BATCH = 10
# SES errors that concern this one recipient (a malformed address): recorded "failed", not retried.
# Every other SES error (throttling, a paused account, an unverified sender) releases the claim and
# the batch is retried, ending in the DLQ if it persists, from where it can be redriven once fixed.
PERMANENT_SES_ERRORS = {"BadRequestException", "InvalidParameterValue"}


class SqsRecipientQueue:
    """Implements change_notices.domain.notice_dispatch.RecipientQueue."""

    def __init__(
        self, queue_url: str | None = None, sleep: Callable[[float], None] = time.sleep, max_attempts: int = 6
    ) -> None:
        self.queue_url = queue_url
        self.sleep = sleep
        self.max_attempts = max_attempts

    def enqueue(self, batches: list[RecipientBatch]) -> None:
        url = self.queue_url or get_settings().notice_queue_url
        for start in range(0, len(batches), SQS_BATCH):
            pending = {str(i): b.model_dump_json() for i, b in enumerate(batches[start : start + SQS_BATCH])}
            for attempt in range(self.max_attempts):
                reply = client("sqs").send_message_batch(
                    QueueUrl=url, Entries=[{"Id": key, "MessageBody": body} for key, body in pending.items()]
                )
                failed = {f["Id"] for f in reply.get("Failed", [])}
                pending = {key: body for key, body in pending.items() if key in failed}
                if not pending:
                    break
                self.sleep(0.05 * (2**attempt) * (0.5 + random.random() / 2))  # noqa: S311 - jitter, not crypto  # nosec B311
            else:
                raise RuntimeError(f"{len(pending)} recipient batches were not accepted by the queue")


class NoticeMailer:
    """SesMailer that turns SES's answers into MailRefused (SES did not take the message).
    Anything else (a timeout, a dropped connection) propagates: then nobody knows if it went."""

    def __init__(self, mailer: SesMailer | None = None) -> None:
        self.mailer = mailer or SesMailer()

    def send(self, message: OutgoingEmail) -> str:
        try:
            return self.mailer.send(message)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "Unknown"))
            raise MailRefused(code, permanent=code in PERMANENT_SES_ERRORS) from error
