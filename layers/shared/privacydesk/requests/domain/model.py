"""Data-rights requests: types, statuses, the request as the domain sees it, and API bodies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from privacydesk.kernel.base_model import Model


class RequestType(StrEnum):
    ACCESS = "access"
    UPDATE = "update"
    DELETE = "delete"
    OBJECT = "object"
    INQUIRY = "inquiry"


DESTRUCTIVE_TYPES = frozenset({RequestType.UPDATE, RequestType.DELETE, RequestType.OBJECT})


class RequestStatus(StrEnum):
    PENDING_VERIFICATION = "pending_verification"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    # fulfilment waits on an external step (a webhook's callback, a DPO's manual task); still open
    AWAITING_EXTERNAL_STEPS = "awaiting_external_steps"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    DENIED = "denied"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    # inquiries (general questions)
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"


# FAILED is not closed: fulfilment failed, the requester still awaits an answer and the clock runs.
CLOSED_STATUSES = frozenset(
    {
        RequestStatus.COMPLETED,
        RequestStatus.DENIED,
        RequestStatus.EXPIRED,
        RequestStatus.CANCELLED,
        RequestStatus.ANSWERED,
    }
)


class Channel(StrEnum):
    API = "api"
    EMAIL = "email"
    ADMIN = "admin"


class Subject(Model):
    """Who the request is about. Identifiers are normalised (lower-case email, E.164 phone)."""

    model_config = ConfigDict(frozen=True)

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    account_id: str | None = None  # set when the email or phone belongs to a registered account

    @property
    def key(self) -> str:
        """Stable key for duplicate detection and rate limits (never logged: it holds PII): one per
        person, not per spelling (kernel.contacts.person_email)."""
        from privacydesk.kernel.contacts import person_email  # pure; models stay free of logic at import

        return f"email:{person_email(self.email)}" if self.email else f"phone:{self.phone}"


class Extension(Model):
    at: datetime
    reason: str
    previous_respond_by: datetime
    respond_by: datetime
    by: str


class PrivacyRequest(Model):
    """A data-rights request or inquiry, with its clocks. Stored by requests.adapters.requests_store."""

    request_id: str
    type: RequestType
    status: RequestStatus
    channel: Channel
    subject: Subject
    details: str | None = None
    corrections: dict[str, str] = Field(default_factory=dict)  # update: field -> new value
    purposes: list[str] = Field(default_factory=list)  # object: e.g. marketing, analytics
    received_at: datetime
    acknowledge_by: datetime
    respond_by: datetime
    acknowledged_at: datetime | None = None
    verified_at: datetime | None = None
    verification_method: str | None = None  # email_link | sms_code | registered_email
    # Identifiers this request proved, kind -> how ({"email": "email_link"}): requests.domain.scope reads it.
    proven: dict[str, str] = Field(default_factory=dict)
    closed_at: datetime | None = None
    overdue: bool = False
    extensions: list[Extension] = Field(default_factory=list)
    policy_version: str
    datamap_version: str
    approval_required: bool = False
    approved_at: datetime | None = None
    approved_by: str | None = None
    hold_reason: str | None = None
    denial_reason: str | None = None
    outcome: dict[str, Any] = Field(default_factory=dict)  # fulfilment's report (counts, kept records)
    source_ref: str | None = None  # email: s3://bucket/key of the raw message
    trust: dict[str, Any] = Field(default_factory=dict)  # email: verdicts and why it is (un)verified
    attachments: list[dict[str, Any]] = Field(default_factory=list)  # email: files kept in S3, never opened
    status_token_hash: str | None = None
    notices_sent: list[str] = Field(default_factory=list)  # deadline monitor: "<kind>@<due>" keys, once each
    version: int = 0  # optimistic lock for conditional writes

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES
