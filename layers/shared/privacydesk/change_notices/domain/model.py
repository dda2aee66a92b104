"""Significant-change emails: the queue message, the delivery ledger's statuses, the progress view
and the SES events that come back. Ids only: no email address ever travels on the queue or the bus."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import ConfigDict, Field

from privacydesk.kernel.base_model import Model
from privacydesk.kernel.events import DomainEvent

MAX_ACCOUNTS_PER_MESSAGE = 5


class NoticeDispatchContinued(DomainEvent):
    """notice_dispatch re-emits itself with this when it nears its timeout; it resumes from its checkpoint."""

    detail_type: ClassVar[str] = "Notice.DispatchContinued"
    version: str
    effective_at: datetime
    significant: bool = True  # the rule pattern matches significant=true for both detail-types


class DispatchRequest(Model):
    """What notice_dispatch reads from the detail of Policy.Published and Notice.DispatchContinued."""

    model_config = ConfigDict(extra="ignore")

    version: str = Field(min_length=1)
    significant: bool
    effective_at: datetime


class RecipientBatch(Model):
    """One SQS message: a handful of accounts to notify of one policy version."""

    model_config = ConfigDict(frozen=True)

    version: str
    account_ids: list[str] = Field(min_length=1, max_length=MAX_ACCOUNTS_PER_MESSAGE)


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"  # written before the send; stays so if the sender crashed after SES accepted
    SENT = "sent"  # SES accepted it (message id recorded)
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    SUPPRESSED = "suppressed"  # address on the suppression list: not mailed
    SKIPPED = "skipped"  # account closed or without an address by the time its turn came
    FAILED = "failed"  # SES refused this message for good (e.g. MessageRejected)


class DeliveryEntry(Model):
    """The ledger's record of one (version, account): what was done, when, and whether it was accepted."""

    model_config = ConfigDict(frozen=True)

    version: str
    account_id: str
    status: DeliveryStatus
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    message_id: str | None = None
    outcome_at: datetime | None = None
    detail: str | None = None  # bounce type, SES error code: never an address
    accepted_at: datetime | None = None


class DispatchState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"


class DispatchRun(Model):
    """The dispatcher's checkpoint for one version: where the scan is and how many were queued."""

    model_config = ConfigDict(frozen=True)

    version: str
    state: DispatchState
    started_at: datetime
    effective_at: datetime
    last_key: dict[str, Any] | None = None
    accounts_scanned: int = 0
    queued: int = 0
    continuations: int = 0
    completed_at: datetime | None = None
    acceptance_recorded_at: datetime | None = None


class DeliveryCounts(Model):
    queued: int = Field(0, description="Recipients the dispatcher put on the queue.")
    awaiting: int = Field(0, description="Queued but not yet handled by a sender.")
    sent: int = Field(0, description="Accepted by SES (includes delivered, bounced and complained).")
    delivered: int = 0
    bounced: int = 0
    complained: int = 0
    suppressed: int = 0
    skipped: int = Field(0, description="Closed or without an address when their turn came.")
    failed: int = Field(0, description="Refused by SES, or claimed without a confirmed send (unknown).")
    unknown: int = Field(0, description="Claimed, but the send was never confirmed: never resent automatically.")
    accepted: int = Field(0, description="Notified accounts that kept using the service after the effective date.")


class DeliveryProgress(Model):
    """`GET /v1/admin/policy/versions/{version}/deliveries`."""

    version: str
    dispatch_state: DispatchState | None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    effective_at: datetime | None = None
    acceptance_recorded_at: datetime | None = None
    counts: DeliveryCounts


class SesMailHeader(Model):
    name: str
    value: str


class SesMail(Model):
    model_config = ConfigDict(extra="ignore")

    messageId: str
    timestamp: datetime | None = None
    headers: list[SesMailHeader] = Field(default_factory=list)
    tags: dict[str, list[str]] = Field(default_factory=dict)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((h.value for h in self.headers if h.name.lower() == wanted), None)


class SesRecipient(Model):
    model_config = ConfigDict(extra="ignore")

    emailAddress: str


class SesBounce(Model):
    model_config = ConfigDict(extra="ignore")

    bounceType: str  # Permanent | Transient | Undetermined
    bounceSubType: str = ""
    bouncedRecipients: list[SesRecipient] = Field(default_factory=list)
    timestamp: datetime | None = None


class SesComplaint(Model):
    model_config = ConfigDict(extra="ignore")

    complainedRecipients: list[SesRecipient] = Field(default_factory=list)
    complaintFeedbackType: str | None = None
    timestamp: datetime | None = None


class SesDelivery(Model):
    model_config = ConfigDict(extra="ignore")

    recipients: list[str] = Field(default_factory=list)
    timestamp: datetime | None = None


class SesSendingEvent(Model):
    """The `detail` of an SES event-publishing event on EventBridge (configuration set destination)."""

    model_config = ConfigDict(extra="ignore")

    eventType: str  # Bounce | Complaint | Delivery | Reject | ...
    mail: SesMail
    bounce: SesBounce | None = None
    complaint: SesComplaint | None = None
    delivery: SesDelivery | None = None
