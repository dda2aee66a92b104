"""Delivers a processor-notice outbox item (the request outbox calls this for kind "processor").

The notice's dates are recorded before it is sent (idempotent), so a notice that went out is
always one the DPO sees and the monitor can chase; the outbox's claim makes the send happen once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from privacydesk.kernel.ports import Mailer, OutgoingEmail
from privacydesk.processors.domain.sent_notices import SentNotice, SentNotices, notice_reference
from privacydesk.requests.domain.outbox import OutboxItem


class WebhookTransport(Protocol):
    def post(self, url: str, secret_id: str, body: dict[str, Any], *, reference: str, now: datetime) -> None: ...


@dataclass
class ProcessorNoticeSender:
    sent: SentNotices
    mailer: Mailer
    webhooks: WebhookTransport

    def send(self, item: OutboxItem, now: datetime) -> None:
        payload = item.payload
        request_id = item.request_id or ""
        processor = str(payload["processor"])
        self.sent.record_sent(
            SentNotice(
                request_id=request_id,
                processor=processor,
                channel=str(payload["channel"]),
                notified_at=now,
                due_at=now + timedelta(days=int(payload["confirm_within_days"])),
            )
        )
        if payload["channel"] == "email":
            email = payload["email"]
            self.mailer.send(
                OutgoingEmail(
                    to=email["to"],
                    subject=email["subject"],
                    text=email["text"],
                    headers=dict(email.get("headers") or {}),
                )
            )
            return
        hook = payload["webhook"]
        self.webhooks.post(
            hook["url"], hook["secret_id"], hook["body"], reference=notice_reference(request_id, processor), now=now
        )


def processor_notice_sender(mailer: Mailer) -> ProcessorNoticeSender:
    from privacydesk.processors.adapters.notice_store import ProcessorNoticeStore
    from privacydesk.processors.adapters.webhook import WebhookPoster

    return ProcessorNoticeSender(sent=ProcessorNoticeStore(), mailer=mailer, webhooks=WebhookPoster())
