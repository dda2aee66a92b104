"""One place owns a request's state changes: each transition declares together its audit action,
its target status, the event it puts on the bus and the notices it sends.

`commit` stores the change, its audit event and those consequences (as outbox items, see
`requests.outbox`) in one transaction. Intake, the DPO's actions, fulfilment, the deadline
monitor and email intake all change a request through here; the request event is built only by
`request_event`. The state machine is in `requests.domain.audit_trail`, the audit chain in `audit.domain.trail`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from privacydesk.kernel.errors import Conflict
from privacydesk.kernel.events import (
    DomainEvent,
    RequestApproved,
    RequestCancelled,
    RequestCompleted,
    RequestDenied,
    RequestEvent,
    RequestExpired,
    RequestExternalStepsResolved,
    RequestReceived,
    RequestVerified,
)
from privacydesk.kernel.ports import OutgoingEmail
from privacydesk.requests.domain import notifications
from privacydesk.requests.domain.audit_trail import check_transition
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus, RequestType
from privacydesk.requests.domain.outbox import OutboxItem, email_item, event_item, sms_item
from privacydesk.requests.domain.ports import RequestServices

S = RequestStatus


@dataclass(frozen=True)
class Note:
    """What the actor adds to a transition's notices: a reason or message, where the first
    notice goes (email intake: the registered address), the completion text by SMS."""

    text: str | None = None
    to: str | None = None
    sms: str | None = None


Notices = Callable[[PrivacyRequest, Note], list[OutboxItem]]


def _none(request: PrivacyRequest, note: Note) -> list[OutboxItem]:
    return []


@dataclass(frozen=True)
class Transition:
    action: str  # the audit event's action
    target: S | None  # None: the status stays (an extension, a note)
    event: type[RequestEvent] | None = None
    notices: Notices = field(default=_none)


# ------------------------------------------------------------------------- where notices go
def verified_address(request: PrivacyRequest) -> str:
    """Emailed requests were verified at the registered address, which the trust record names."""
    registered = request.trust.get("registered_email")
    return str(registered) if isinstance(registered, str) and registered else request.subject.email or ""


def notify_address(request: PrivacyRequest) -> str | None:
    """Where notices about a request may go: only an address the subject verified."""
    if request.verified_at is None or request.verification_method != "email_link":
        return None
    return verified_address(request)


def unverified_address(request: PrivacyRequest) -> str | None:
    """Where the expiry notice of a never-verified request goes: where its verification went
    (the registered address of an emailed request, else the address given). It says only that an
    unconfirmed request was closed, which that inbox already knows from the verification email."""
    registered = request.trust.get("registered_email")
    if isinstance(registered, str) and registered:
        return registered
    return request.subject.email


# ------------------------------------------------------------------------------- the notices
def _received(request: PrivacyRequest, note: Note) -> list[OutboxItem]:
    address = note.to or request.subject.email
    if request.type != RequestType.INQUIRY or request.status == S.ON_HOLD or not address:
        return []
    return [email_item("inquiry_received", notifications.inquiry_received_email(address, request))]


def _verified(request: PrivacyRequest, note: Note) -> list[OutboxItem]:
    if not request.subject.email or request.verification_method != "email_link":
        return []
    return [email_item("acknowledged", notifications.acknowledged_email(verified_address(request), request))]


def _to_verified(kind: str, render: Callable[[str, PrivacyRequest, Note], OutgoingEmail]) -> Notices:
    """A notice that goes only to an address the subject verified (none: nothing is sent)."""

    def notices(request: PrivacyRequest, note: Note) -> list[OutboxItem]:
        address = notify_address(request)
        return [email_item(kind, render(address, request, note))] if address else []

    return notices


def _completed(request: PrivacyRequest, note: Note) -> list[OutboxItem]:
    items: list[OutboxItem] = []
    address = notify_address(request) or (request.subject.email if request.type == RequestType.INQUIRY else None)
    if address:
        items.append(email_item("completed", notifications.completed_email(address, request, note.text)))
    if request.verification_method == "sms_code" and request.subject.phone:
        text = note.sms or f"{notifications.COMPANY}: your privacy request is complete."
        items.append(sms_item("completed_sms", request.request_id, request.subject.phone, text))
    return items


def _expired(request: PrivacyRequest, note: Note) -> list[OutboxItem]:
    address = unverified_address(request)
    if address:
        return [email_item("expired", notifications.expired_email(address, request))]
    if request.subject.phone:
        return [sms_item("expired_sms", request.request_id, request.subject.phone, notifications.expired_sms())]
    return []


def _denied(address: str, request: PrivacyRequest, note: Note) -> OutgoingEmail:
    return notifications.denied_email(address, request, note.text or "")


def _extended(address: str, request: PrivacyRequest, note: Note) -> OutgoingEmail:
    return notifications.extended_email(address, request, note.text or "")


def _cancelled(address: str, request: PrivacyRequest, note: Note) -> OutgoingEmail:
    return notifications.cancelled_email(address, request)


TRANSITIONS: dict[str, Transition] = {
    "received": Transition("received", S.PENDING_VERIFICATION, RequestReceived, _received),
    "verified": Transition("verified", S.VERIFIED, RequestVerified, _verified),
    "approved": Transition("approved", S.VERIFIED, RequestApproved),
    "denied": Transition("denied", S.DENIED, RequestDenied, _to_verified("denied", _denied)),
    "extended": Transition("extended", None, None, _to_verified("extended", _extended)),
    "completed": Transition("completed", S.COMPLETED, RequestCompleted, _completed),  # an inquiry: ANSWERED
    "cancelled": Transition("cancelled", S.CANCELLED, RequestCancelled, _to_verified("cancelled", _cancelled)),
    "expired": Transition("expired", S.EXPIRED, RequestExpired, _expired),
    "held": Transition("held", S.ON_HOLD),
    "acknowledged": Transition("acknowledged", S.ACKNOWLEDGED),
    # [issue 20] external steps (fulfilment.domain.pending_steps): parked, resumed by the last
    # resolution (its event brings fulfilment back), or failed by a service's failure callback
    "external_steps_pending": Transition("external_steps_pending", S.AWAITING_EXTERNAL_STEPS),
    "external_steps_resolved": Transition("external_steps_resolved", S.IN_PROGRESS, RequestExternalStepsResolved),
    "external_step_failed": Transition("external_step_failed", S.FAILED),
}


def request_event(kind: type[RequestEvent], request: PrivacyRequest, now: datetime, **extra: Any) -> RequestEvent:
    """The one way a request event is built: ids, type, channel, status (and the kind's own
    fields in `extra`); never personal data."""
    about: dict[str, Any] = {
        **extra,
        "occurred_at": now,
        "request_id": request.request_id,
        "type": request.type.value,
        "channel": request.channel.value,
        "status": request.status.value,
    }
    if kind is RequestVerified:
        about["approval_required"] = request.approval_required
    return kind(**about)


# Further outbox items a caller derives from the request as committed (e.g. fulfilment's notices to
# processors, GDPR Art. 19): they commit with the transition, so they exist exactly when it does.
MoreConsequences = Callable[[PrivacyRequest], Sequence[OutboxItem]]


def consequences(
    name: str,
    request: PrivacyRequest,
    now: datetime,
    note: Note | None = None,
    extra: Sequence[DomainEvent] = (),
    more: MoreConsequences | None = None,
) -> list[OutboxItem]:
    """The outbox items of transition `name` for the request as committed."""
    transition = TRANSITIONS[name]
    items = [event_item(e, request.request_id) for e in extra]
    if transition.event is not None:
        items.append(event_item(request_event(transition.event, request, now)))
    return items + transition.notices(request, note or Note()) + list(more(request) if more else ())


def commit(
    services: RequestServices,
    request_id: str,
    name: str,
    mutate: Callable[[PrivacyRequest], PrivacyRequest],
    *,
    actor: str,
    now: datetime,
    details: dict[str, Any] | None = None,
    note: Note | None = None,
    extra: Sequence[DomainEvent] = (),
    use_challenge: bool = False,
    more: MoreConsequences | None = None,
) -> PrivacyRequest:
    """Apply transition `name`: the change, its audit event and its consequences, one transaction."""
    committed: list[OutboxItem] = []

    def outbox(after: PrivacyRequest) -> list[OutboxItem]:
        committed[:] = consequences(name, after, now, note, extra, more)  # the last attempt's are the ones stored
        return committed

    request = services.requests.change(
        request_id,
        mutate,
        action=TRANSITIONS[name].action,
        actor=actor,
        at=now,
        details=details,
        use_challenge=use_challenge,
        outbox=outbox,
    )
    services.sent.extend(item.notice for item in committed if item.kind != "event")  # queued, for the reply
    return request


# ------------------------------------------------------- transitions shared by people and systems
def complete(
    request_id: str,
    message: str | None,
    *,
    actor: str,
    now: datetime,
    services: RequestServices,
    outcome: dict[str, Any] | None = None,
    sms: str | None = None,
    extra: Sequence[DomainEvent] = (),
    more: MoreConsequences | None = None,
) -> PrivacyRequest:
    """Close a request as done (an inquiry as answered) and tell the requester."""

    def completed(request: PrivacyRequest) -> PrivacyRequest:
        target = S.ANSWERED if request.type == RequestType.INQUIRY else S.COMPLETED
        check_transition(request.status, target)
        if target == S.COMPLETED and request.verified_at is None:
            raise Conflict("the requester has not verified this request", code="not_verified")
        return request.model_copy(
            update={
                "status": target,
                "closed_at": now,
                "acknowledged_at": request.acknowledged_at or now,
                "outcome": {**request.outcome, **(outcome or {})},
            }
        )

    return commit(
        services,
        request_id,
        "completed",
        completed,
        actor=actor,
        now=now,
        details={"has_message": bool(message)},
        note=Note(text=message, sms=sms),
        extra=extra,
        more=more,
    )


def deny(request_id: str, reason: str, *, actor: str, now: datetime, services: RequestServices) -> PrivacyRequest:
    def denied(request: PrivacyRequest) -> PrivacyRequest:
        check_transition(request.status, S.DENIED)
        return request.model_copy(update={"status": S.DENIED, "denial_reason": reason, "closed_at": now})

    return commit(
        services, request_id, "denied", denied, actor=actor, now=now, details={"reason": reason}, note=Note(text=reason)
    )
