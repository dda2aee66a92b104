"""SES sending events (through the configuration set) -> the delivery ledger and the suppression list.

Permanent bounces and complaints put the address on the suppression list, so no later notice
goes to it. The ledger entry is found by the X-PrivacyDesk-* headers SES echoes back; events
for other mail still suppress bad addresses but touch no ledger entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from privacydesk.change_notices.domain.model import DeliveryStatus, SesSendingEvent
from privacydesk.change_notices.domain.notice_delivery import Ledger
from privacydesk.change_notices.domain.notice_email import ACCOUNT_HEADER, VERSION_HEADER


class SuppressionWriter(Protocol):
    def suppress(self, address: str, reason: str, at: datetime, message_id: str | None = None) -> None: ...


@dataclass(frozen=True)
class FeedbackOutcome:
    event_type: str
    version: str | None
    account_id: str | None
    ledger_updated: bool
    suppressed: int


def apply_feedback(
    event: SesSendingEvent, *, ledger: Ledger, suppressions: SuppressionWriter, now: datetime
) -> FeedbackOutcome:
    version = event.mail.header(VERSION_HEADER)
    account_id = event.mail.header(ACCOUNT_HEADER)
    message_id = event.mail.messageId
    status: DeliveryStatus | None = None
    detail: str | None = None
    at = now
    suppressed = 0
    if event.eventType == "Bounce" and event.bounce:
        status, at = DeliveryStatus.BOUNCED, event.bounce.timestamp or now
        detail = f"{event.bounce.bounceType}/{event.bounce.bounceSubType}".rstrip("/")
        if event.bounce.bounceType == "Permanent":
            for recipient in event.bounce.bouncedRecipients:
                suppressions.suppress(recipient.emailAddress, f"bounce:{detail}", at, message_id)
                suppressed += 1
    elif event.eventType == "Complaint" and event.complaint:
        status, at = DeliveryStatus.COMPLAINED, event.complaint.timestamp or now
        detail = f"complaint:{event.complaint.complaintFeedbackType or 'unspecified'}"
        for complainer in event.complaint.complainedRecipients:
            suppressions.suppress(complainer.emailAddress, detail, at, message_id)
            suppressed += 1
    elif event.eventType == "Delivery":
        status = DeliveryStatus.DELIVERED
        at = event.delivery.timestamp if event.delivery and event.delivery.timestamp else now
    elif event.eventType == "Reject":
        status, detail = DeliveryStatus.FAILED, "rejected_by_ses"
    updated = False
    if status is not None and version and account_id:
        updated = ledger.record_outcome(version, account_id, status, at, message_id=message_id, detail=detail)
    return FeedbackOutcome(event.eventType, version, account_id, updated, suppressed)
