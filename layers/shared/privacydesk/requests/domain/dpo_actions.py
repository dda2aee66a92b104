"""The DPO's actions on a request. Each is one transition of `requests.lifecycle`: an audited,
conditional change committed with its events and notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from privacydesk.kernel.errors import Conflict, InvalidInput
from privacydesk.requests.domain import lifecycle
from privacydesk.requests.domain.audit_trail import AuditEvent, check_transition
from privacydesk.requests.domain.model import Extension, PrivacyRequest, RequestStatus
from privacydesk.requests.domain.ports import RequestServices


@dataclass(frozen=True)
class RequestDetail:
    request: PrivacyRequest
    audit: list[AuditEvent]


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
        if request.approved_at is not None:  # approved meanwhile by someone else
            raise Conflict("already approved", code="already_approved")
        return request.model_copy(
            update={"status": RequestStatus.VERIFIED, "approved_at": now, "approved_by": actor, "hold_reason": None}
        )

    current = services.requests.require(request_id)
    if current.approved_at is not None:
        return current  # a retry of an approval that committed: its Request.Approved is in the outbox
    return lifecycle.commit(services, request_id, "approved", approved, actor=actor, now=now)


def deny(request_id: str, reason: str, *, actor: str, now: datetime, services: RequestServices) -> PrivacyRequest:
    return lifecycle.deny(request_id, reason, actor=actor, now=now, services=services)


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

    return lifecycle.commit(
        services,
        request_id,
        "extended",
        extended,
        actor=actor,
        now=now,
        details={"reason": reason, "days": days},
        note=lifecycle.Note(text=reason),
    )


def hold(request_id: str, reason: str, *, actor: str, now: datetime, services: RequestServices) -> PrivacyRequest:
    def held(request: PrivacyRequest) -> PrivacyRequest:
        check_transition(request.status, RequestStatus.ON_HOLD)
        return request.model_copy(update={"status": RequestStatus.ON_HOLD, "hold_reason": reason})

    return lifecycle.commit(services, request_id, "held", held, actor=actor, now=now, details={"reason": reason})


def acknowledge(request_id: str, *, actor: str, now: datetime, services: RequestServices) -> PrivacyRequest:
    def acknowledged(request: PrivacyRequest) -> PrivacyRequest:
        check_transition(request.status, RequestStatus.ACKNOWLEDGED)
        return request.model_copy(update={"status": RequestStatus.ACKNOWLEDGED, "acknowledged_at": now})

    return lifecycle.commit(services, request_id, "acknowledged", acknowledged, actor=actor, now=now)


def complete(
    request_id: str,
    message: str | None,
    *,
    actor: str,
    now: datetime,
    services: RequestServices,
    outcome: dict[str, Any] | None = None,
    more: lifecycle.MoreConsequences | None = None,
) -> PrivacyRequest:
    """The DPO closes a request as done (an inquiry as answered); the requester is told. `more`: what
    else commits with it (the processor notices of an Update or Delete, GDPR Art. 19)."""
    return lifecycle.complete(request_id, message, actor=actor, now=now, services=services, outcome=outcome, more=more)


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
