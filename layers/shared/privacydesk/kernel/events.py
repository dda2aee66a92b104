"""Domain events PrivacyDesk puts on the EventBridge bus. Source: "privacydesk".

The detail of every event is one of these models; the detail-type is the class's `detail_type`.
They carry ids, types and statuses, never emails, phones or names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from privacydesk.kernel.base_model import Model

SOURCE = "privacydesk"


class DomainEvent(Model):
    detail_type: ClassVar[str]
    occurred_at: datetime


class RequestEvent(DomainEvent):
    request_id: str
    type: str
    channel: str
    status: str


class RequestReceived(RequestEvent):
    detail_type: ClassVar[str] = "Request.Received"


class RequestVerified(RequestEvent):
    detail_type: ClassVar[str] = "Request.Verified"
    approval_required: bool = False


class RequestApproved(RequestEvent):
    detail_type: ClassVar[str] = "Request.Approved"


class RequestCompleted(RequestEvent):
    detail_type: ClassVar[str] = "Request.Completed"


class RequestExternalStepsResolved(RequestEvent):
    """The last pending external step (webhook callback, manual task) resolved: fulfilment resumes."""

    detail_type: ClassVar[str] = "Request.ExternalStepsResolved"


class RequestDenied(RequestEvent):
    detail_type: ClassVar[str] = "Request.Denied"


class RequestCancelled(RequestEvent):
    detail_type: ClassVar[str] = "Request.Cancelled"


class RequestExpired(RequestEvent):
    detail_type: ClassVar[str] = "Request.Expired"


class DeadlineBreached(RequestEvent):
    detail_type: ClassVar[str] = "Deadline.Breached"
    clock: str  # acknowledge | respond
    due_at: datetime


class PolicyPublished(DomainEvent):
    detail_type: ClassVar[str] = "Policy.Published"
    version: str
    significant: bool
    effective_at: datetime


class SubjectErased(DomainEvent):
    detail_type: ClassVar[str] = "Subject.Erased"
    request_id: str
    subject_ref: str  # an opaque hash of the subject key, so outside processors can match
    stores: dict[str, Any]


class SubjectObjectionChanged(DomainEvent):
    detail_type: ClassVar[str] = "Subject.ObjectionChanged"
    subject_ref: str
    purposes: dict[str, bool]  # purpose -> objected


_EVENT_TYPES: dict[str, type[DomainEvent]] = {}


def event_type(detail_type: str) -> type[DomainEvent]:
    """The model of a detail-type (the outbox stores events as detail-type + detail)."""
    if not _EVENT_TYPES:
        pending: list[type[DomainEvent]] = [DomainEvent]
        while pending:
            for sub in pending.pop().__subclasses__():
                pending.append(sub)
                if "detail_type" in sub.__dict__:
                    _EVENT_TYPES[sub.detail_type] = sub
    return _EVENT_TYPES[detail_type]
