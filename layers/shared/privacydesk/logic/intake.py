"""Public request flows: submit, verify, follow (status), cancel.

Identity: an email subject proves control with a single-use link (confirm page + POST), a
phone-only subject with an SMS code. Nothing destructive happens before that.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from privacydesk.integrations.mailer import OutgoingEmail
from privacydesk.logic import notifications
from privacydesk.logic.contacts import normalise_email, normalise_phone
from privacydesk.logic.corrections import checked_corrections
from privacydesk.logic.deadlines import clocks_for
from privacydesk.logic.errors import Conflict, Gone, InvalidInput, InvalidToken, NotFound, TooManyRequests
from privacydesk.logic.lifecycle import check_transition
from privacydesk.logic.ports import RequestServices
from privacydesk.logic.tokens import challenge_for, hash_secret, matches, new_token
from privacydesk.models.requests import (
    Channel,
    PrivacyRequest,
    RequestStatus,
    RequestType,
    Subject,
)
from privacydesk.observability import logger
from privacydesk.requests import lifecycle


@dataclass(frozen=True)
class NewRequest:
    type: RequestType
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    details: str | None = None
    corrections: dict[str, str] | None = None
    purposes: list[str] | None = None


@dataclass(frozen=True)
class Receipt:
    request: PrivacyRequest
    status_token: str | None  # shown once; None for a duplicate (the original holder has it)
    duplicate: bool = False


def subject_of(new: NewRequest) -> Subject:
    email = normalise_email(new.email) if new.email else None
    phone = normalise_phone(new.phone) if new.phone else None
    if not email and not phone:
        raise InvalidInput("give an email address or a phone number", code="missing_contact")
    return Subject(email=email, phone=phone, name=(new.name or "").strip() or None)


def _check_shape(new: NewRequest) -> None:
    if new.type == RequestType.UPDATE and not new.corrections:
        raise InvalidInput("an update request needs corrections (field -> new value)", code="missing_corrections")
    if new.type != RequestType.UPDATE and new.corrections:
        raise InvalidInput("corrections apply only to update requests", code="unexpected_corrections")
    if new.type == RequestType.OBJECT and not new.purposes:
        raise InvalidInput("an objection needs the purposes you object to", code="missing_purposes")
    if new.type != RequestType.OBJECT and new.purposes:
        raise InvalidInput("purposes apply only to objections", code="unexpected_purposes")


def verify_url(services: RequestServices, request_id: str, token: str) -> str:
    return f"{services.config.public_base_url}/privacy/verify?{urlencode({'request': request_id, 'token': token})}"


def submit(
    new: NewRequest,
    *,
    channel: Channel,
    now: datetime,
    services: RequestServices,
    source_ref: str | None = None,
    trust: dict[str, object] | None = None,
    notify_to: str | None = None,
    hold_reason: str | None = None,
    attachments: list[dict[str, object]] | None = None,
) -> Receipt:
    """Record a request and start verification. Duplicates come back as the open request.

    `notify_to` overrides where the verification goes (email intake: the registered address).
    `hold_reason` records a request whose sender could not be trusted (email intake: DMARC or spam
    failure, unregistered sender): it is kept on hold for the DPO, with no challenge and no notice
    to anyone, and it neither merges with nor counts against the subject's trusted requests.
    """
    _check_shape(new)
    corrections = new.corrections or {}
    if corrections and services.config.correctable_fields is not None:
        corrections = checked_corrections(corrections, services.config.correctable_fields)
    subject = subject_of(new)
    recent = [r for r in services.requests.by_subject(subject.key) if not _untrusted(r)]
    day_ago = now - timedelta(days=1)
    if hold_reason is None and (
        sum(1 for r in recent if r.received_at >= day_ago) >= services.config.max_requests_per_subject_per_day
    ):
        raise TooManyRequests(
            "too many requests for this contact today; try again tomorrow", code="subject_rate_limited"
        )
    duplicate = None if hold_reason else next((r for r in recent if r.is_open and r.type == new.type), None)
    if duplicate is not None:
        if duplicate.status == RequestStatus.PENDING_VERIFICATION:
            _send_challenge(duplicate, now, services, notify_to=notify_to, store=True)
        return Receipt(request=duplicate, status_token=None, duplicate=True)

    request_id = f"req_{uuid.uuid4().hex}"
    clocks = clocks_for(now, services.config.clock_policy)
    status_token = new_token()
    is_inquiry = new.type == RequestType.INQUIRY
    held = hold_reason is not None
    if is_inquiry:
        status = RequestStatus.RECEIVED
    else:
        status = RequestStatus.ON_HOLD if held else RequestStatus.PENDING_VERIFICATION
    request = PrivacyRequest(
        request_id=request_id,
        type=new.type,
        status=status,
        channel=channel,
        subject=subject,
        details=new.details,
        corrections=corrections,
        purposes=sorted(set(new.purposes or [])),
        received_at=now,
        acknowledge_by=clocks.acknowledge_by,
        respond_by=clocks.respond_by,
        policy_version=services.config.policy_version(),
        datamap_version=services.config.datamap_version,
        approval_required=new.type in services.config.approval_required_for,
        source_ref=source_ref,
        trust=dict(trust or {}),
        hold_reason=hold_reason if status == RequestStatus.ON_HOLD else None,
        attachments=list(attachments or []),
        status_token_hash=hash_secret(status_token, context=request_id),
    )
    challenge = None
    secret = None
    if not is_inquiry and not held:
        secret, challenge = challenge_for(request_id, "email_link" if (notify_to or subject.email) else "sms_code", now)
    # Request.Received and an inquiry's receipt go out from the outbox, committed with the request.
    # The verification link does not: its secret is never stored, so it is sent here; if that
    # fails, a repeated submission or the deadline monitor's reminder sends a fresh one.
    consequences = lifecycle.consequences("received", request, now, lifecycle.Note(to=notify_to))
    services.requests.create(
        request,
        actor=f"requester:{channel.value}",
        details={"type": request.type.value, "channel": channel.value, "fields": sorted(request.corrections)},
        challenge=challenge,
        outbox=consequences,
    )
    services.sent.extend(item.notice for item in consequences if item.kind != "event")
    if secret and challenge:
        _deliver_challenge(request, secret, challenge.method, services, notify_to=notify_to)
    return Receipt(request=request, status_token=status_token)


def _untrusted(request: PrivacyRequest) -> bool:
    """An emailed request recorded as unverified (see `hold_reason`): the DPO's, not the subject's."""
    return request.trust.get("verified") is False


def _send_challenge(
    request: PrivacyRequest, now: datetime, services: RequestServices, *, notify_to: str | None, store: bool
) -> None:
    """A fresh challenge (the old link stops working) for a repeated or reminded request."""
    method = "email_link" if (notify_to or request.subject.email) else "sms_code"
    secret, challenge = challenge_for(request.request_id, method, now)
    if store:
        services.requests.replace_challenge(challenge)
    _deliver_challenge(request, secret, method, services, notify_to=notify_to)


def resend_verification(request: PrivacyRequest, now: datetime, services: RequestServices) -> None:
    """Reminder for a request still waiting on its requester (used by the deadline monitor)."""
    _send_challenge(request, now, services, notify_to=None, store=True)


def _deliver_challenge(
    request: PrivacyRequest, secret: str, method: str, services: RequestServices, *, notify_to: str | None
) -> None:
    if method == "email_link":
        to = notify_to or request.subject.email or ""
        safe_send(
            services,
            "verification",
            notifications.verification_email(to, request, verify_url(services, request.request_id, secret)),
        )
    else:
        try:
            services.sms.send(request.subject.phone or "", notifications.verification_sms(secret))
            services.sent.append("verification_sms")
        except Exception:  # noqa: BLE001 - the request is stored; the reminder job resends
            logger.exception("verification sms failed", extra={"request_id": request.request_id})


def safe_send(services: RequestServices, kind: str, message: OutgoingEmail) -> None:
    """Mail failures never lose the request: it is stored first, and reminders resend."""
    try:
        services.mailer.send(message)
        services.sent.append(kind)
    except Exception:  # noqa: BLE001
        logger.exception(
            "email failed", extra={"kind": kind, "request_id": message.headers.get("X-PrivacyDesk-Request")}
        )


def verify(request_id: str, token: str, *, now: datetime, services: RequestServices) -> PrivacyRequest:
    challenge = services.requests.challenge(request_id)
    if challenge is None:
        raise InvalidToken("the link is not valid", code="token_invalid")
    refused = challenge.check(token, now)
    if refused == "too_many_attempts":
        raise TooManyRequests("too many attempts; ask for a new link", code=refused)
    if refused == "token_invalid":
        services.requests.count_failed_attempt(request_id)
        raise InvalidToken("the link is not valid", code=refused)
    if refused == "token_used":
        already = services.requests.get(request_id)
        if already is not None and already.verified_at is not None:
            return already  # a retry of a verify that committed: its consequences are in the outbox
        raise Conflict("this link was already used", code=refused)
    if refused == "token_expired":
        raise Gone("this link has expired; ask for a new one", code=refused)

    def verified(request: PrivacyRequest) -> PrivacyRequest:
        check_transition(request.status, RequestStatus.VERIFIED)
        return request.model_copy(
            update={
                "status": RequestStatus.VERIFIED,
                "verified_at": now,
                "verification_method": challenge.method,
                "acknowledged_at": request.acknowledged_at or now,
            }
        )

    return lifecycle.commit(
        services,
        request_id,
        "verified",
        verified,
        actor="requester",
        now=now,
        details={"method": challenge.method},
        use_challenge=True,
    )


notify_address = lifecycle.notify_address  # kept for callers of the old path


def authorised(request_id: str, status_token: str | None, services: RequestServices) -> PrivacyRequest:
    """The request, if the bearer holds its status token; otherwise 404, so nothing leaks."""
    request = services.requests.get(request_id) if status_token else None
    if (
        request is None
        or request.status_token_hash is None
        or not matches(status_token or "", request.status_token_hash, context=request_id)
    ):
        raise NotFound("no such request", code="request_not_found")
    return request


def cancel(request_id: str, status_token: str | None, *, now: datetime, services: RequestServices) -> PrivacyRequest:
    authorised(request_id, status_token, services)

    def cancelled(request: PrivacyRequest) -> PrivacyRequest:
        check_transition(request.status, RequestStatus.CANCELLED)
        return request.model_copy(update={"status": RequestStatus.CANCELLED, "closed_at": now})

    return lifecycle.commit(services, request_id, "cancelled", cancelled, actor="requester", now=now)
