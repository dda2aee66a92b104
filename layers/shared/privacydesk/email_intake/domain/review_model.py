"""The review list: inbound messages that did not become a request, kept for the DPO with the reason."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from privacydesk.kernel.base_model import Model


class ReviewReason(StrEnum):
    RAW_MESSAGE_MISSING = "raw_message_missing"  # SES named an object that is not in the bucket
    UNPARSEABLE = "unparseable"  # the MIME could not be read at all
    MISSING_FROM = "missing_from"
    MULTIPLE_FROM = "multiple_from"
    INVALID_FROM = "invalid_from"
    VIRUS = "virus"  # quarantined, never processed
    SPAM = "spam"  # spam verdict FAIL and no right asked for
    REJECTED = "rejected"  # intake refused it (e.g. the subject's daily limit); `detail` has the code


class ReviewOutcome(StrEnum):
    REQUEST_CREATED = "request_created"  # the DPO (or the sender, when asked) opened a request for it
    ANSWERED = "answered"  # answered outside PrivacyDesk; nothing more to track
    DISMISSED = "dismissed"  # spam, a virus, or nothing was asked


class ReviewResolution(Model):
    outcome: ReviewOutcome
    note: str  # the DPO's reason; ids and facts, not personal data
    request_id: str | None = None
    resolved_by: str  # the signed caller
    resolved_at: datetime


class ResolveReviewBody(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: ReviewOutcome
    note: str = Field(min_length=1, max_length=500, description="Why; ids and facts, not personal data.")
    request_id: str | None = Field(default=None, pattern=r"^req_[0-9a-f]{32}$", description="With request_created.")


class ReviewEntry(Model):
    entry_id: str  # "email_<SES messageId>": one entry per message, however often SES delivers it
    message_id: str
    reason: ReviewReason
    detail: str | None = None  # a machine-readable code or a short, PII-free explanation
    source_ref: str  # s3://bucket/key of the raw message (quarantine/ for a virus)
    received_at: datetime
    attachments: list[dict[str, Any]] = Field(default_factory=list)
    trust: dict[str, Any] = Field(default_factory=dict)
    defects: list[str] = Field(default_factory=list)
    size: int = 0
    resolved: bool = False
    resolution: ReviewResolution | None = None
