"""The DPO's actions on a request. Each is one audited, conditional change plus its notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from privacydesk.logic import notifications
from privacydesk.logic.errors import Conflict, InvalidInput
from privacydesk.logic.intake import notify_address, safe_send
from privacydesk.logic.lifecycle import AuditEvent, check_transition
from privacydesk.logic.ports import RequestServices
from privacydesk.models.events import RequestApproved, RequestCompleted, RequestDenied, RequestEvent
from privacydesk.models.requests import Extension, PrivacyRequest, RequestStatus, RequestType


@dataclass(frozen=True)
class RequestDetail:
    request: PrivacyRequest
    audit: list[AuditEvent]


def _event(kind: type[RequestEvent], request: PrivacyRequest, now: datetime) -> RequestEvent:
    return kind(
        occurred_at=now,
        request_id=request.request_id,
        type=request.type.value,
        channel=request.channel.value,
        status=request.status.value,
    )


def detail(request_id: str, services: RequestServices) -> RequestDetail:
    request = services.requests.require(request_id)
    return RequestDetail(request=request, audit=services.requests.audit_trail(request_id))


def approve(request_id: str, *, actor: str, now: datetime, services: RequestServices) -> PrivacyRequest:
    def approved(request: PrivacyRequest) -> PrivacyRequest:
        if request.status == RequestStatus.ON_HOLD:
            check_transition(request.status, RequestStatus.VERIFIED)
        elif request.status != RequestStatus.VERIFIED:
            raise Conflict(
                f"only a verified request can be approved (this one is {request.status.value})",
                code="invalid_transition",
            )
        if request.verified_at is None:
            raise Conflict("the requester has not verified this request", code="not_verified")
        if request.approved_at is not None:
            raise Conflict("already approved", code="already_approved")
        return request.model_copy(
            update={"status": RequestStatus.VERIFIED, "approved_at": now, "approved_by": actor, "hold_reason": None}
        )

    request = services.requests.change(request_id, approved, action="approved", actor=actor, at=now)
    services.events.publish(_event(RequestApproved, request, now))
    return request


def deny(request_id: str, reason: str, *, actor: str, now: datetime, services: RequestServices) -> PrivacyRequest:
    def denied(request: PrivacyRequest) -> PrivacyRequest:
        check_transition(request.status, RequestStatus.DENIED)
        return request.model_copy(update={"status": RequestStatus.DENIED, "denial_reason": reason, "closed_at": now})

    request = services.requests.change(
        request_id, denied, action="denied", actor=actor, at=now, details={"reason": reason}
    )
    address = notify_address(request)
    if address:
        safe_send(services, "denied", notifications.denied_email(address, request, reason))
    services.events.publish(_event(RequestDenied, request, now))
    return request


def extend(
    request_id: str, reason: str, days: int, *, actor: str, now: datetime, services: RequestServices
) -> PrivacyRequest:
    def extended(request: PrivacyRequest) -> PrivacyRequest:
        if not request.is_open:
            raise Conflict("a closed request cannot be extended", code="invalid_transition")
        already = sum((e.respond_by - e.previous_respond_by).days for e in request.extensions)
        if already + days > services.config.max_extension_days:
            raise InvalidInput(
                f"extensions may add at most {services.config.max_extension_days} days in total",
                code="extension_too_long",
            )
        new_due = request.respond_by + timedelta(days=days)
        extension = Extension(
            at=now, reason=reason, previous_respond_by=request.respond_by, respond_by=new_due, by=actor
        )
        return request.model_copy(
            update={"respond_by": new_due, "extensions": [*request.extensions, extension], "overdue": False}
        )

    request = services.requests.change(
        request_id, extended, action="extended", actor=actor, at=now, details={"reason": reason, "days": days}
    )
    address = notify_address(request)
    if address:
        safe_send(services, "extended", notifications.extended_email(address, request, reason))
    return request


def hold(request_id: str, reason: str, *, actor: str, now: datetime, services: RequestServices) -> PrivacyRequest:
    def held(request: PrivacyRequest) -> PrivacyRequest:
        check_transition(request.status, RequestStatus.ON_HOLD)
        return request.model_copy(update={"status": RequestStatus.ON_HOLD, "hold_reason": reason})

    return services.requests.change(request_id, held, action="held", actor=actor, at=now, details={"reason": reason})


def acknowledge(request_id: str, *, actor: str, now: datetime, services: RequestServices) -> PrivacyRequest:
    def acknowledged(request: PrivacyRequest) -> PrivacyRequest:
        check_transition(request.status, RequestStatus.ACKNOWLEDGED)
        return request.model_copy(update={"status": RequestStatus.ACKNOWLEDGED, "acknowledged_at": now})

    return services.requests.change(request_id, acknowledged, action="acknowledged", actor=actor, at=now)


def complete(
    request_id: str,
    message: str | None,
    *,
    actor: str,
    now: datetime,
    services: RequestServices,
    outcome: dict[str, Any] | None = None,
) -> PrivacyRequest:
    """Close a request as done (an inquiry as answered) and tell the requester."""

    def completed(request: PrivacyRequest) -> PrivacyRequest:
        target = RequestStatus.ANSWERED if request.type == RequestType.INQUIRY else RequestStatus.COMPLETED
        check_transition(request.status, target)
        if target == RequestStatus.COMPLETED and request.verified_at is None:
            raise Conflict("the requester has not verified this request", code="not_verified")
        return request.model_copy(
            update={
                "status": target,
                "closed_at": now,
                "acknowledged_at": request.acknowledged_at or now,
                "outcome": {**request.outcome, **(outcome or {})},
            }
        )

    request = services.requests.change(
        request_id, completed, action="completed", actor=actor, at=now, details={"has_message": bool(message)}
    )
    address = notify_address(request) or (request.subject.email if request.type == RequestType.INQUIRY else None)
    if address:
        safe_send(services, "completed", notifications.completed_email(address, request, message))
    services.events.publish(_event(RequestCompleted, request, now))
    return request


def note(request_id: str, text: str, *, actor: str, now: datetime, services: RequestServices) -> PrivacyRequest:
    return services.requests.change(request_id, lambda r: r, action="note", actor=actor, at=now, details={"note": text})


def queue(
    status: RequestStatus,
    due_before: datetime | None,
    limit: int,
    cursor: dict[str, Any] | None,
    services: RequestServices,
) -> tuple[list[PrivacyRequest], dict[str, Any] | None]:
    return services.requests.page(status=status, due_before=due_before, limit=limit, cursor=cursor)
