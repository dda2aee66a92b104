"""The outbox: what a committed request change must cause, stored in the same transaction.

A state change never calls EventBridge, SES or SNS after its commit. Its events and notices are
written as outbox items inside the change's own DynamoDB transaction, so they exist exactly when
the change does; the outbox table's stream feeds `request_outbox`, which delivers each item.

Delivery is at least once (stream retries, bisected batches, partial batch responses), so each
item is claimed before it is sent and marked delivered after: a redelivered item that was
delivered is skipped; one whose send failed (an exception: SES, SNS or the bus refused) is
released and sent on the retry. One shard's records are handled by one invocation at a time
(ParallelizationFactor 1), so a claim found on redelivery belongs to an invocation that died:
it is taken over and the item sent. Only a sandbox that dies between SES (or SNS) accepting a
message and the "delivered" mark, a window of one DynamoDB write, can send a notice twice; we
prefer that to losing a notice the law requires. Events are safe to repeat: their consumers
(fulfilment, notice dispatch) are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from privacydesk.kernel.base_model import Model
from privacydesk.kernel.events import DomainEvent, event_type
from privacydesk.kernel.ports import EventPublisher, Mailer, OutgoingEmail, SmsSender
from privacydesk.requests.domain.model import PrivacyRequest

OutboxKind = Literal["event", "email", "sms", "processor"]  # processor: privacydesk.processors
ClaimState = Literal["claimed", "delivered"]


class OutboxItem(Model):
    """One consequence to deliver. `outbox_id` is given by the store: the change's audit position."""

    kind: OutboxKind
    notice: str  # the detail-type of an event, or the kind of notice ("acknowledged", "completed_sms")
    request_id: str | None = None
    payload: dict[str, Any]
    outbox_id: str = ""


# What a change must cause, computed from the request as it will be committed.
Consequences = Callable[[PrivacyRequest], list[OutboxItem]]


def event_item(event: DomainEvent, request_id: str | None = None) -> OutboxItem:
    return OutboxItem(
        kind="event",
        notice=event.detail_type,
        request_id=request_id or getattr(event, "request_id", None),
        payload={"detail": event.model_dump(mode="json")},
    )


def email_item(notice: str, message: OutgoingEmail) -> OutboxItem:
    return OutboxItem(
        kind="email",
        notice=notice,
        request_id=message.headers.get("X-PrivacyDesk-Request"),
        payload={
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
            "headers": dict(message.headers),
            "configuration_set": message.configuration_set,
        },
    )


def sms_item(notice: str, request_id: str, phone: str, text: str) -> OutboxItem:
    return OutboxItem(kind="sms", notice=notice, request_id=request_id, payload={"phone": phone, "text": text})


def numbered(items: list[OutboxItem], prefix: str) -> list[OutboxItem]:
    """Ids that a retried transaction reproduces (prefix: request id and audit seq), so the
    store's `does not exist` condition refuses a second copy."""
    return [item.model_copy(update={"outbox_id": f"{prefix}#{n}"}) for n, item in enumerate(items)]


def stored_event(item: OutboxItem) -> DomainEvent:
    return event_type(item.notice).model_validate(item.payload["detail"])


def stored_email(item: OutboxItem) -> OutgoingEmail:
    p = item.payload
    return OutgoingEmail(
        to=p["to"],
        subject=p["subject"],
        text=p["text"],
        html=p.get("html"),
        headers=dict(p.get("headers") or {}),
        configuration_set=p.get("configuration_set"),
    )


class DeliveryClaims(Protocol):
    def claim(self, outbox_id: str, now: datetime) -> ClaimState: ...
    def mark_delivered(self, outbox_id: str, now: datetime) -> None: ...
    def release(self, outbox_id: str) -> None: ...


class ProcessorNotices(Protocol):
    def send(self, item: OutboxItem, now: datetime) -> None: ...


@dataclass
class OutboxPorts:
    claims: DeliveryClaims
    events: EventPublisher
    mailer: Mailer
    sms: SmsSender
    processors: ProcessorNotices | None = None  # notices to processors (privacydesk.processors)


def deliver(item: OutboxItem, *, now: datetime, ports: OutboxPorts) -> Literal["delivered", "already_delivered"]:
    """Send one item unless it was delivered (see the module's note on crashes)."""
    if ports.claims.claim(item.outbox_id, now) == "delivered":
        return "already_delivered"
    try:
        if item.kind == "event":
            ports.events.publish(stored_event(item))
        elif item.kind == "email":
            ports.mailer.send(stored_email(item))
        elif item.kind == "processor":
            if ports.processors is None:
                raise RuntimeError("no processor-notice sender is wired")
            ports.processors.send(item, now)
        else:
            ports.sms.send(item.payload["phone"], item.payload["text"])
    except Exception:
        ports.claims.release(item.outbox_id)  # not sent: the retry may send it
        raise
    ports.claims.mark_delivered(item.outbox_id, now)
    return "delivered"
