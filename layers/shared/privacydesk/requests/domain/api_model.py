"""Bodies and replies of the request routes (public and admin). Strict: unknown fields are 422."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from privacydesk.kernel.base_model import Model
from privacydesk.requests.domain.model import Channel, PrivacyRequest, RequestStatus, RequestType

# Text is stripped, so it must hold a visible character: the pattern says so in the OpenAPI document
# (\x1c-\x1f: Python counts them as whitespace, JSON Schema engines do not).
VISIBLE = r"[^\s\x1c-\x1f]"
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True, pattern=VISIBLE)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=5000, strip_whitespace=True, pattern=VISIBLE)]
# Identifiers are matched exactly, not stripped first (" erase" is not a field name), as documented.
Identifier = StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", strip_whitespace=False)
FieldName = Annotated[str, StringConstraints(min_length=1, max_length=64), Identifier]
Purpose = Annotated[str, StringConstraints(min_length=1, max_length=40), Identifier]


class _Body(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NewRequestBody(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"type": "access", "email": "someone@example.org", "name": "Someone"},
                {"type": "object", "phone": "+639175550199", "purposes": ["marketing_sms"]},
            ]
        }
    )

    type: RequestType
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    name: ShortText | None = None
    details: LongText | None = None
    corrections: dict[FieldName, Annotated[str, StringConstraints(max_length=500)]] | None = Field(
        default=None, max_length=20
    )
    purposes: list[Purpose] | None = Field(default=None, max_length=10)


class VerifyBody(_Body):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=VISIBLE)]


class ReasonBody(_Body):
    reason: LongText


class ExtendBody(_Body):
    reason: LongText
    days: int = Field(ge=1, le=60)


class CompleteBody(_Body):
    message: LongText | None = None


class NoteBody(_Body):
    text: LongText


class EmptyBody(_Body):
    pass


class SubmittedReply(Model):
    request_id: str
    status: RequestStatus
    received_at: datetime
    acknowledge_by: datetime
    respond_by: datetime
    status_token: str = Field(description="Shown once. Send it as `Authorization: Bearer` to follow the request.")


class ExtensionView(Model):
    at: datetime
    reason: str
    respond_by: datetime


class StatusReply(Model):
    """What the requester sees: status and clocks, no personal data."""

    request_id: str
    type: RequestType
    status: RequestStatus
    channel: Channel
    received_at: datetime
    acknowledge_by: datetime
    respond_by: datetime
    acknowledged_at: datetime | None
    verified_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    extensions: list[ExtensionView]

    @classmethod
    def of(cls, request: PrivacyRequest) -> StatusReply:
        return cls(
            request_id=request.request_id,
            type=request.type,
            status=request.status,
            channel=request.channel,
            received_at=request.received_at,
            acknowledge_by=request.acknowledge_by,
            respond_by=request.respond_by,
            acknowledged_at=request.acknowledged_at,
            verified_at=request.verified_at,
            closed_at=request.closed_at,
            overdue=request.overdue,
            extensions=[ExtensionView(at=e.at, reason=e.reason, respond_by=e.respond_by) for e in request.extensions],
        )


class AdminRequestView(Model):
    """The DPO's view: the whole request except secrets."""

    request: dict[str, Any]
    audit: list[dict[str, Any]] | None = None

    @classmethod
    def of(cls, request: PrivacyRequest, audit: list[dict[str, Any]] | None = None) -> AdminRequestView:
        return cls(request=request.model_dump(mode="json", exclude={"status_token_hash"}), audit=audit)


class AdminQueueReply(Model):
    items: list[dict[str, Any]]
    next_cursor: str | None
