"""Emailed requests: from a raw message in S3 to a request (or a review entry), safely.

One call per SES message. Every message ends as exactly one of:
- a request (channel=email, source_ref = s3://bucket/key of the raw message), trusted or not;
- a review entry (nothing lost: unreadable, no sender, virus, spam, refused), with the reason.
Untrusted senders get no destructive action and no confirmation; trusted ones get the
confirmation at the registered address of their account, never at Reply-To.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Protocol

from privacydesk.email_intake.domain import email_classifier, email_trust
from privacydesk.email_intake.domain.email_message import ParsedEmail, parse_chunks, read_message
from privacydesk.email_intake.domain.review_model import ReviewEntry, ReviewReason
from privacydesk.kernel.errors import DomainError
from privacydesk.kernel.observability import logger
from privacydesk.requests.domain import intake
from privacydesk.requests.domain.model import Channel, RequestType
from privacydesk.requests.domain.ports import RequestServices

INBOUND_PREFIX = "inbound/"
QUARANTINE_PREFIX = "quarantine/"
ATTACHMENT_PREFIX = "attachments/"
CHUNK_BYTES = 256 * 1024
DETAILS_CHARS = 4000


class MailObjects(Protocol):
    def open(self, bucket: str, key: str) -> IO[bytes]: ...
    def put(self, bucket: str, key: str, body: bytes | IO[bytes], content_type: str = ...) -> None: ...
    def move(self, bucket: str, source_key: str, target_key: str) -> None: ...


class Account(Protocol):
    @property
    def account_id(self) -> str: ...
    @property
    def email(self) -> str: ...


class Accounts(Protocol):
    def by_email(self, email: str) -> Account | None: ...


class ReviewStore(Protocol):
    def add(self, entry: ReviewEntry) -> ReviewEntry: ...


@dataclass(frozen=True)
class InboundMail:
    """What the SES receiving event tells us about one message."""

    message_id: str
    bucket: str
    verdicts: email_trust.Verdicts

    @property
    def key(self) -> str:
        return f"{INBOUND_PREFIX}{self.message_id}"


@dataclass
class EmailPorts:
    objects: MailObjects
    accounts: Accounts
    review: ReviewStore


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk


def _review(
    mail: InboundMail,
    reason: ReviewReason,
    now: datetime,
    ports: EmailPorts,
    *,
    detail: str | None = None,
    key: str | None = None,
    parsed: ParsedEmail | None = None,
    attachments: list[dict[str, Any]] | None = None,
    trust: dict[str, Any] | None = None,
) -> dict[str, Any]:
    entry = ports.review.add(
        ReviewEntry(
            entry_id=f"email_{mail.message_id}",
            message_id=mail.message_id,
            reason=reason,
            detail=detail,
            source_ref=f"s3://{mail.bucket}/{key or mail.key}",
            received_at=now,
            attachments=attachments or [],
            trust=trust or {"verdicts": mail.verdicts.as_dict()},
            defects=parsed.defects if parsed else [],
            size=parsed.size if parsed else 0,
        )
    )
    logger.info("email listed for review", extra={"message_id": mail.message_id, "reason": entry.reason.value})
    return {"outcome": "review", "entry_id": entry.entry_id, "reason": entry.reason.value, "detail": entry.detail}


def _store_attachments(mail: InboundMail, parsed: ParsedEmail, ports: EmailPorts) -> list[dict[str, Any]]:
    """Each attachment as an opaque object (application/octet-stream): kept for the DPO, never opened."""
    stored: list[dict[str, Any]] = []
    for attachment in parsed.attachments:
        key = f"{ATTACHMENT_PREFIX}{mail.message_id}/{attachment.index}"
        payload = attachment.payload()
        ports.objects.put(mail.bucket, key, payload, content_type="application/octet-stream")
        stored.append(
            {
                "ref": f"s3://{mail.bucket}/{key}",
                "filename": attachment.filename,
                "declared_type": attachment.content_type,
                "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
            }
        )
        del payload
    return stored


def _details(parsed: ParsedEmail) -> str:
    own = email_classifier.split_quoted(parsed.text)[0].strip()
    text = f"Subject: {parsed.subject}\n\n{own or parsed.text.strip()}"
    return text[:DETAILS_CHARS]


class StreamFailed(Exception):
    """Reading the raw message from the store failed (transient): let Lambda's async retries run."""


def _read(mail: InboundMail, ports: EmailPorts) -> ParsedEmail | ReviewReason:
    try:
        stream = ports.objects.open(mail.bucket, mail.key)
    except FileNotFoundError:
        return ReviewReason.RAW_MESSAGE_MISSING
    size = 0

    def counted() -> Iterator[bytes]:
        nonlocal size
        try:
            for chunk in _chunks(stream):
                size += len(chunk)
                yield chunk
        except Exception as error:
            raise StreamFailed(type(error).__name__) from error

    try:
        message = parse_chunks(counted())
        return read_message(message, size)
    except StreamFailed:
        raise
    except Exception as error:  # noqa: BLE001 - anything unreadable is kept and listed, never lost
        # The type only: a parser's message may quote the mail (personal data).
        logger.warning(
            "email could not be parsed", extra={"message_id": mail.message_id, "error_type": type(error).__name__}
        )
        return ReviewReason.UNPARSEABLE
    finally:
        close = getattr(stream, "close", None)
        if callable(close):
            close()


def intake_email(mail: InboundMail, *, now: datetime, services: RequestServices, ports: EmailPorts) -> dict[str, Any]:
    """Turn one inbound message into a request or a review entry. Returns what happened (ids only)."""
    if mail.verdicts.virus == "FAIL":
        quarantined = f"{QUARANTINE_PREFIX}{mail.message_id}"
        with contextlib.suppress(FileNotFoundError):  # already moved by an earlier delivery
            ports.objects.move(mail.bucket, mail.key, quarantined)
        return _review(mail, ReviewReason.VIRUS, now, ports, key=quarantined)

    parsed = _read(mail, ports)
    if isinstance(parsed, ReviewReason):
        return _review(mail, parsed, now, ports)
    attachments = _store_attachments(mail, parsed, ports)
    if parsed.sender is None:
        problem = ReviewReason(parsed.sender_problem or ReviewReason.INVALID_FROM)
        return _review(mail, problem, now, ports, parsed=parsed, attachments=attachments)

    account = ports.accounts.by_email(parsed.sender)
    decision = email_trust.assess(
        mail.verdicts,
        registered_email=account.email.lower() if account else None,
        account_id=account.account_id if account else None,
    )
    trust = decision.record(mail.verdicts, parsed.reply_to, parsed.sender)
    classification = email_classifier.classify(parsed.subject, parsed.text)
    kind = classification.type
    reason = classification.reason
    corrections: dict[str, str] | None = None
    purposes: list[str] | None = None
    if kind == RequestType.UPDATE:
        corrections = email_classifier.corrections_named(parsed.text) or None
        if corrections is None:
            kind, reason = RequestType.INQUIRY, "update_without_corrections"
    elif kind == RequestType.OBJECT:
        purposes = email_classifier.purposes_named(parsed.subject, parsed.text)
    trust["classification"] = {
        "asked": classification.asked.value if classification.asked else None,
        "confidence": classification.confidence,
        "scores": classification.scores,
        "cues": classification.cues,
        "reason": reason,
    }
    if "spam" in decision.reasons and kind == RequestType.INQUIRY:
        return _review(mail, ReviewReason.SPAM, now, ports, parsed=parsed, attachments=attachments, trust=trust)

    if decision.trusted:
        notify_to, hold_reason = decision.registered_email, None
    elif kind == RequestType.INQUIRY and email_trust.may_answer_sender(decision):
        notify_to, hold_reason = parsed.sender, None  # the From address (DMARC did not fail), never Reply-To
    else:
        notify_to, hold_reason = None, "unverified email: " + ", ".join(decision.reasons)
    new = intake.NewRequest(
        type=kind, email=parsed.sender, details=_details(parsed), corrections=corrections, purposes=purposes
    )
    try:
        receipt = intake.submit(
            new,
            channel=Channel.EMAIL,
            now=now,
            services=services,
            source_ref=f"s3://{mail.bucket}/{mail.key}",
            trust=trust,
            notify_to=notify_to,
            hold_reason=hold_reason,
            attachments=attachments,
        )
    except DomainError as error:
        return _review(
            mail,
            ReviewReason.REJECTED,
            now,
            ports,
            detail=error.code,
            parsed=parsed,
            attachments=attachments,
            trust=trust,
        )
    request = receipt.request
    if receipt.duplicate:
        # The open request stays the one of record; its audit trail links this message too.
        services.requests.change(
            request.request_id,
            lambda same: same,
            action="email_received",
            actor="requester:email",
            at=now,
            details={"source_ref": f"s3://{mail.bucket}/{mail.key}", "attachments": len(attachments)},
        )
    logger.info(
        "email request recorded",
        extra={
            "message_id": mail.message_id,
            "request_id": request.request_id,
            "type": request.type.value,
            "status": request.status.value,
            "trusted": decision.trusted,
            "duplicate": receipt.duplicate,
        },
    )
    return {
        "outcome": "request",
        "request_id": request.request_id,
        "type": request.type.value,
        "status": request.status.value,
        "duplicate": receipt.duplicate,
        "trusted": decision.trusted,
        "reasons": decision.reasons,
        "sent": list(services.sent),
    }
