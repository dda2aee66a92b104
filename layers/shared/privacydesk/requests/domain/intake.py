"""Public request flows: submit, verify, follow (status), cancel.

Identity: an email subject proves control with a single-use link (confirm page + POST), a
phone-only subject with an SMS code. Nothing destructive happens before that.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

from privacydesk.datamap.domain.corrections import checked_corrections
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.contacts import normalise_email, normalise_phone, person_email
from privacydesk.kernel.errors import Conflict, Gone, InvalidInput, InvalidToken, NotFound, TooManyRequests
from privacydesk.kernel.observability import logger
from privacydesk.requests.domain import lifecycle, notifications
from privacydesk.requests.domain.audit_trail import check_transition
from privacydesk.requests.domain.deadlines import clocks_for
from privacydesk.requests.domain.model import (
    Channel,
    PrivacyRequest,
    RequestStatus,
    RequestType,
    Subject,
)
from privacydesk.requests.domain.outbox import OutboxItem, email_item, sms_item
from privacydesk.requests.domain.ports import Allowance, ReceiptStore, RequestServices, SourceThrottle
from privacydesk.requests.domain.scope import proofs_of
from privacydesk.requests.domain.tokens import (
    TOKEN_TTL,
    VerificationChallenge,
    challenge_for,
    hash_secret,
    matches,
    new_token,
)

MAX_ID_LENGTH = 100  # ids are "req_" + 32 hex; a longer one is none of ours (nor a valid DynamoDB key)


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


def caller_receipt(receipt: Receipt, now: datetime, services: RequestServices) -> tuple[PrivacyRequest, str]:
    """What the submitter is shown: a request id and a status token, always.

    A duplicate is shown as a fresh receipt (a new id, its own clocks and token) that points at
    nothing, so the reply looks the same whether the address is unknown, registered or already has
    an open request, and a stranger never gets the open request's id. The requester themselves
    reaches their request through the link already mailed (or texted) to them.
    """
    if not receipt.duplicate and receipt.status_token:
        return receipt.request, receipt.status_token
    clocks = clocks_for(now, services.config.clock_policy)
    inquiry = receipt.request.type == RequestType.INQUIRY
    receipt_id, status_token = f"req_{uuid.uuid4().hex}", new_token()
    shown = PrivacyRequest(
        request_id=receipt_id,
        type=receipt.request.type,
        status=RequestStatus.RECEIVED if inquiry else RequestStatus.PENDING_VERIFICATION,
        channel=receipt.request.channel,
        subject=Subject(),  # nothing about anyone is kept with it
        received_at=now,
        acknowledge_by=clocks.acknowledge_by,
        respond_by=clocks.respond_by,
        policy_version=receipt.request.policy_version,
        datamap_version=receipt.request.datamap_version,
        status_token_hash=hash_secret(status_token, context=receipt_id),
    )
    if services.receipts is not None:
        # Kept, so following it reads as a new request nobody confirmed: pending, then expired.
        services.receipts.save(shown, valid_until=now + TOKEN_TTL)
    return shown, status_token


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
    source: str | None = None,
) -> Receipt:
    """Record a request and start verification. Duplicates come back as the open request.

    `source` is the client the submission came from (requests.domain.sources.client_source; None for
    email intake): it may name one person only so often, and spend only its share of that person's
    sends, so a stranger cannot use up the owner's day (SECURITY.md 4b). It may also submit only so
    often an hour whoever it names, so one address cannot have verification mail sent to address
    after address.

    `notify_to` overrides where the verification goes (email intake: the registered address).
    `hold_reason` records a request whose sender could not be trusted (email intake: DMARC or spam
    failure, unregistered sender): it is kept on hold for the DPO, with no challenge and no notice
    to anyone, and it neither merges with nor counts against the subject's trusted requests. Later
    untrusted mail from the same sender (as a person: kernel.contacts.person_email) joins that one
    held entry while it is on hold.
    """
    _check_shape(new)
    corrections = new.corrections or {}
    if corrections and services.config.correctable_fields is not None:
        corrections = checked_corrections(corrections, services.config.correctable_fields)
    subject = subject_of(new)
    if source is not None:
        _spend_source_submission(source, subject, now, services)
    found = services.requests.by_subject(subject.key)
    if hold_reason is not None:
        # Untrusted mail from one sender lands on one held entry for the DPO, whatever it asks:
        # repeats add to its trail instead of opening new requests, each with its own clocks.
        held_entry = next((r for r in found if _untrusted(r) and r.status == RequestStatus.ON_HOLD), None)
        if held_entry is not None:
            return Receipt(request=held_entry, status_token=None, duplicate=True)
    recent = [r for r in found if not _untrusted(r)]
    # A repeat of an open request is not a new one: it re-uses the open request (and its link, or a
    # renewed one if none was sent), so it never meets the daily cap below. A stranger's open
    # requests thus never stop the owner from getting a link for the same thing.
    duplicate = None if hold_reason else next((r for r in recent if r.is_open and r.type == new.type), None)
    if duplicate is not None:
        if duplicate.status == RequestStatus.PENDING_VERIFICATION:
            _renew_spent_challenge(duplicate, now, services, notify_to=notify_to, source=source)
        return Receipt(request=duplicate, status_token=None, duplicate=True)
    day_ago = now - timedelta(days=1)
    standing = [r for r in recent if r.received_at >= day_ago and not _withdrawn_unverified(r)]
    if hold_reason is None and len(standing) >= services.config.max_requests_per_subject_per_day:
        raise TooManyRequests(
            "too many requests for this contact today; try again tomorrow", code="subject_rate_limited"
        )

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
    outbox = lifecycle.consequences("received", request, now, lifecycle.Note(to=notify_to))
    if is_inquiry and not held:
        # An inquiry's receipt is a send like any other: capped per person and destination.
        outbox = _within_send_caps(request, outbox, notify_to, now, services, source=source)
    if not is_inquiry and not held:
        method = "email_link" if (notify_to or subject.email) else "sms_code"
        secret, challenge = challenge_for(request_id, method, now, subject_ref=subject_ref(subject))
        # The link or code is part of the commit: its message (with the secret) is an outbox item
        # of the same transaction, removed from the outbox once delivered. The send cap is spent
        # here, just before the commit; over the limit the challenge is stored spent and no message
        # is written, so asking again later (or the reminder) renews and sends it. The reply is the
        # same either way.
        if _may_send(request, _channel_of(method), notify_to, now, services, source=source):
            outbox.append(verification_item(request, secret, method, services, notify_to=notify_to))
        else:
            challenge = replace(challenge, expires_at=now)
    services.requests.create(
        request,
        actor=f"requester:{channel.value}",
        details={"type": request.type.value, "channel": channel.value, "fields": sorted(request.corrections)},
        challenge=challenge,
        outbox=outbox,
    )
    services.sent.extend(item.notice for item in outbox if item.kind != "event")  # queued, for the reply
    return Receipt(request=request, status_token=status_token)


def _untrusted(request: PrivacyRequest) -> bool:
    """An emailed request recorded as unverified (see `hold_reason`): the DPO's, not the subject's."""
    return request.trust.get("verified") is False


def _withdrawn_unverified(request: PrivacyRequest) -> bool:
    """Cancelled before anyone proved the contact: whoever submitted it (the status token's holder,
    perhaps a stranger) took it back, so it does not use up the person's requests for the day."""
    return request.status == RequestStatus.CANCELLED and request.verified_at is None


def _seconds_left(window: Allowance, now: datetime) -> int:
    """Until the counter's window turns (abuse counters use fixed UTC windows)."""
    size = int(window.window.total_seconds())
    return size - int(now.timestamp()) % size


def _spend_source_submission(source: str, subject: Subject, now: datetime, services: RequestServices) -> None:
    """Count one submission from this source, and one naming this person from it; 429 past the
    source's hourly cap or its daily share of the person. Both depend only on what this source sent,
    so they reveal nothing about the person."""
    counters = (
        ("submit-any", source, services.config.source_submissions, "too many requests from here"),
        (
            "submit-source",
            f"{source}#{subject.key}",
            services.config.source_submissions_per_person,
            "too many requests for this contact from here today",
        ),
    )
    for kind, key, allowance, reason in counters:
        if not services.limits.spend(kind, key, allowance, now):
            raise TooManyRequests(
                f"{reason}; try again later", code="source_rate_limited", retry_after=_seconds_left(allowance, now)
            )


def subject_ref(subject: Subject) -> str:
    """The person behind a subject, hashed: counters and challenges name it without holding PII."""
    return hashlib.sha256(subject.key.encode()).hexdigest()


def _renew_spent_challenge(
    request: PrivacyRequest,
    now: datetime,
    services: RequestServices,
    *,
    notify_to: str | None,
    source: str | None = None,
) -> None:
    """A repeated submission never replaces a live challenge (its link or code keeps working) and
    never resets a locked code before it expires; only an expired or missing challenge is renewed,
    and the send is subject to the per-person and per-destination limits."""
    current = services.requests.challenge(request.request_id)
    if current is not None and (current.locked(now) or (not current.used and now < current.expires_at)):
        return
    _send_challenge(request, now, services, notify_to=notify_to, previous=current, source=source)


def _send_challenge(
    request: PrivacyRequest,
    now: datetime,
    services: RequestServices,
    *,
    notify_to: str | None,
    previous: VerificationChallenge | None = None,
    source: str | None = None,
) -> None:
    """A fresh challenge (the old link stops working) stored with its message in one transaction."""
    renewal = renewed_challenge(request, now, services, notify_to=notify_to, previous=previous, source=source)
    if renewal is not None:
        challenge, message = renewal
        services.requests.replace_challenge(challenge, outbox=[message])
        services.sent.append(message.notice)


def renewed_challenge(
    request: PrivacyRequest,
    now: datetime,
    services: RequestServices,
    *,
    notify_to: str | None = None,
    previous: VerificationChallenge | None = None,
    source: str | None = None,
) -> tuple[VerificationChallenge, OutboxItem] | None:
    """A fresh challenge, and the outbox item that delivers its secret, if the send limits allow a
    send (spent here); None, and nothing to store, if not. A live challenge's failed attempts carry
    over; an expired one's end with it (the person's daily cap still counts them). The caller
    commits both together."""
    method = "email_link" if (notify_to or request.subject.email) else "sms_code"
    if not _may_send(request, _channel_of(method), notify_to, now, services, source=source):
        return None
    secret, challenge = challenge_for(
        request.request_id,
        method,
        now,
        attempts=previous.attempts if previous is not None and now < previous.expires_at else 0,
        subject_ref=subject_ref(request.subject),
    )
    return challenge, verification_item(request, secret, method, services, notify_to=notify_to)


def reminder(
    request: PrivacyRequest, now: datetime, services: RequestServices
) -> tuple[VerificationChallenge, OutboxItem] | None:
    """The reminder for a request still waiting on its requester (the deadline monitor commits it
    with its check). A locked code gets no reminder until it expires: a new secret would reopen the
    guessing."""
    current = services.requests.challenge(request.request_id)
    if current is not None and current.locked(now):
        return None
    return renewed_challenge(request, now, services, previous=current)


def _channel_of(method: str) -> str:
    return "email" if method == "email_link" else "sms"


def _may_send(
    request: PrivacyRequest,
    channel: str,
    notify_to: str | None,
    now: datetime,
    services: RequestServices,
    *,
    source: str | None = None,
) -> bool:
    """Sends are capped per person (the subject) and per destination, with a cooldown; SMS more
    strictly. Over the limit nothing is sent and the caller's reply does not change.

    With a client `source` (API submissions), the source's share is checked first: one source may
    spend at most `source_*_sends` of a person's sends, so it can never use up the day alone. Once
    the person's shared cap is gone, a source's first send to them still comes from a small reserve:
    the owner asking from their own address gets a link unless many sources hammered.
    """
    config = services.config
    sms = channel == "sms"
    allowance, share, reserve = (
        (config.sms_sends, config.source_sms_sends, config.sms_reserve)
        if sms
        else (config.email_sends, config.source_email_sends, config.email_reserve)
    )
    if sms:
        destination = f"phone:{request.subject.phone}"
    else:
        destination = f"email:{person_email(notify_to or request.subject.email or '')}"
    # One counter per person: the subject and the destination are usually the same person (one call).
    keys = dict.fromkeys((request.subject.key, destination))
    kind = f"send-{channel}"
    source_key = f"{source}#{request.subject.key}"
    # The source's share is read, and counted only for a send that happens, so a refused attempt
    # (cooldown, cap) costs it nothing. Concurrent calls from one source may pass the share by a
    # few; the person's own caps below are conditional writes and hold exactly.
    sent_from_source = services.limits.used(f"{kind}-source", source_key, share, now) if source is not None else 0
    if sent_from_source >= share.cap:
        logger.info("send skipped: source share used", extra={"request_id": request.request_id, "channel": channel})
        return False
    sent = all(services.limits.spend(kind, key, allowance, now) for key in keys) or (
        source is not None
        and sent_from_source == 0
        and all(services.limits.spend(f"{kind}-reserve", key, reserve, now) for key in keys)
    )
    if not sent:
        logger.info("send skipped: limit reached", extra={"request_id": request.request_id, "channel": channel})
        return False
    if source is not None:
        services.limits.count(f"{kind}-source", source_key, share, now)
    return True


def _within_send_caps(
    request: PrivacyRequest,
    outbox: list[OutboxItem],
    notify_to: str | None,
    now: datetime,
    services: RequestServices,
    *,
    source: str | None = None,
) -> list[OutboxItem]:
    """The outbox without its emails if the person's or the destination's email cap is spent."""
    if not any(item.kind == "email" for item in outbox) or _may_send(
        request, "email", notify_to, now, services, source=source
    ):
        return outbox
    return [item for item in outbox if item.kind != "email"]


def verification_item(
    request: PrivacyRequest, secret: str, method: str, services: RequestServices, *, notify_to: str | None
) -> OutboxItem:
    """The message that carries a challenge's secret: the link by email, or the code by SMS."""
    if method == "email_link":
        to = notify_to or request.subject.email or ""
        link = verify_url(services, request.request_id, secret)
        return email_item("verification", notifications.verification_email(to, request, link))
    # The text carries the link as well as the code: whoever holds the phone can verify from the text
    # alone, even when a stranger asked first and holds the request's id.
    text = notifications.verification_sms(secret, verify_url(services, request.request_id, secret))
    return sms_item("verification_sms", request.request_id, request.subject.phone or "", text)


def verify(
    request_id: str,
    token: str,
    *,
    now: datetime,
    services: RequestServices,
    source: str | None = None,
    throttle: SourceThrottle | None = None,
) -> PrivacyRequest:
    """Check a verification secret and commit `Request.Verified`.

    With a client `source`, every attempt first spends a token of that source's bucket (429
    source_rate_limited with Retry-After when empty, whatever request it names): guessing across
    many requests from one place is slowed, not only guessing one request. The right secret gets
    its token back, so an owner never pays for verifying.
    """
    guesses = services.config.source_verify_guesses
    if source is not None and throttle is not None:
        wait = throttle.take("verify", source, guesses, now)
        if wait > 0:
            raise TooManyRequests(
                "too many attempts from here; try again later",
                code="source_rate_limited",
                retry_after=math.ceil(wait),
            )
    challenge = services.requests.challenge(request_id) if len(request_id) <= MAX_ID_LENGTH else None
    per_subject = services.config.subject_failed_attempts
    if challenge is None:
        # An unknown request answers as a wrong secret does, in roughly the same time: the id is
        # counted as its request and person would be (two writes), so probing is recorded and
        # costs what guessing costs.
        services.limits.count("verify-unknown", request_id, per_subject, now)
        services.limits.count("verify-failed", request_id, per_subject, now)
        raise InvalidToken("the link is not valid", code="token_invalid")
    refused = challenge.check(token, now)
    if refused == "token_invalid":
        services.requests.count_failed_attempt(request_id)
        if challenge.subject_ref:  # across every request of this person, resubmissions included
            services.limits.count("verify-failed", challenge.subject_ref, per_subject, now)
        raise InvalidToken("the link is not valid", code=refused)
    if source is not None and throttle is not None:
        throttle.give_back("verify", source, guesses, now)  # the holder of the secret is not a guesser
    # The right secret: only now is the person's lock read (only the holder learns of it). Wrong
    # guesses of a link are counted too (an unknown id and a wrong secret cost the same), but only
    # a guessable code is locked by them.
    locked = (
        challenge.guessable
        and bool(challenge.subject_ref)
        and services.limits.used("verify-failed", challenge.subject_ref or "", per_subject, now) >= per_subject.cap
    )
    refused = challenge.check(token, now, locked=locked)
    if refused == "too_many_attempts":
        raise TooManyRequests("too many attempts; ask for a new link", code=refused)
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
                "proven": proofs_of(challenge.method),  # requests.domain.scope: what this request may look up
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
    """The request, if the bearer holds its status token; otherwise 404, so nothing leaks.

    A duplicate's receipt answers as a new request that nobody confirmed: pending until its link
    would have expired, then expired (or cancelled, if its holder cancelled it)."""
    request = services.requests.get(request_id) if status_token and len(request_id) <= MAX_ID_LENGTH else None
    if request is None and status_token and services.receipts is not None and len(request_id) <= MAX_ID_LENGTH:
        request = _receipt_as_request(request_id, services.receipts)
    if (
        request is None
        or request.status_token_hash is None
        or not matches(status_token or "", request.status_token_hash, context=request_id)
    ):
        raise NotFound("no such request", code="request_not_found")
    return request


def _receipt_as_request(receipt_id: str, receipts: ReceiptStore) -> PrivacyRequest | None:
    found = receipts.get(receipt_id)
    if found is None:
        return None
    receipt, valid_until = found
    if receipt.is_open and utc_now() >= valid_until:
        return receipt.model_copy(update={"status": RequestStatus.EXPIRED, "closed_at": valid_until})
    return receipt


def cancel(request_id: str, status_token: str | None, *, now: datetime, services: RequestServices) -> PrivacyRequest:
    shown = authorised(request_id, status_token, services)
    if services.receipts is not None and not (shown.subject.email or shown.subject.phone):  # a receipt
        check_transition(shown.status, RequestStatus.CANCELLED)
        closed = shown.model_copy(update={"status": RequestStatus.CANCELLED, "closed_at": now})
        services.receipts.save(closed, valid_until=now)
        return closed

    def cancelled(request: PrivacyRequest) -> PrivacyRequest:
        check_transition(request.status, RequestStatus.CANCELLED)
        return request.model_copy(update={"status": RequestStatus.CANCELLED, "closed_at": now})

    return lifecycle.commit(services, request_id, "cancelled", cancelled, actor="requester", now=now)
