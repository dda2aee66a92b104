"""Each processor notice as the DPO sees it (queued, pending, confirmed or overdue), the DPO's
confirmation, and the deadline monitor's one-time escalation of an overdue notice.

The request's outcome is the audited record: `outcome["processors"][name]` holds the decision
made at completion, and gains `confirmed_at`/`confirmed_by`/`note` and `escalated_at` through
audited changes of the request. The notice store (one item per request and processor, written
when the notice goes out) holds when it was sent and when it is due, and a sparse index of the
notices still awaiting confirmation that the monitor reads instead of scanning requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from privacydesk.kernel.errors import Conflict, NotFound
from privacydesk.processors.domain.notices import overdue_email
from privacydesk.processors.domain.sent_notices import SentNotice, SentNotices
from privacydesk.requests.domain.model import PrivacyRequest
from privacydesk.requests.domain.outbox import OutboxItem, email_item
from privacydesk.requests.domain.ports import RequestServices

NoticeState = Literal["queued", "pending", "confirmed", "overdue"]


def state_of(decided: dict[str, Any], sent: SentNotice | None, now: datetime) -> NoticeState:
    if decided.get("confirmed_at"):
        return "confirmed"
    if sent is None:
        return "queued"  # committed with the completion, not yet delivered by the outbox
    return "overdue" if sent.due_at <= now else "pending"


def notices_view(request: PrivacyRequest, sent: list[SentNotice], now: datetime) -> list[dict[str, Any]]:
    """The DPO's list: one row per processor the completion told."""
    by_name = {s.processor: s for s in sent}
    rows = []
    for name, decided in sorted((request.outcome.get("processors") or {}).items()):
        record = by_name.get(name)
        rows.append(
            {
                "processor": name,
                "title": decided.get("title"),
                "action": decided.get("action"),
                "data": decided.get("data"),
                "channel": decided.get("channel"),
                "status": state_of(decided, record, now),
                "notified_at": record.notified_at.isoformat() if record else None,
                "due_at": record.due_at.isoformat() if record else None,
                "confirmed_at": decided.get("confirmed_at"),
                "confirmed_by": decided.get("confirmed_by"),
                "note": decided.get("note"),
                "escalated_at": decided.get("escalated_at"),
            }
        )
    return rows


def _with_entry(request: PrivacyRequest, processor: str, **update: Any) -> PrivacyRequest:
    entries = dict(request.outcome.get("processors") or {})
    entries[processor] = {**entries[processor], **update}
    return request.model_copy(update={"outcome": {**request.outcome, "processors": entries}})


def _decided(request: PrivacyRequest, processor: str) -> dict[str, Any]:
    decided = (request.outcome.get("processors") or {}).get(processor)
    if decided is None:
        raise NotFound("this request told no processor by that name", code="processor_not_notified")
    return dict(decided)


def confirm(
    request_id: str,
    processor: str,
    note: str,
    *,
    actor: str,
    now: datetime,
    services: RequestServices,
    sent: SentNotices,
) -> list[dict[str, Any]]:
    """Record that a processor confirmed (audited). Repeating it changes nothing."""
    request = services.requests.require(request_id)
    decided = _decided(request, processor)
    record = next((s for s in sent.of_request(request_id) if s.processor == processor), None)
    if record is None and not decided.get("confirmed_at"):
        raise Conflict("the notice to this processor has not been sent yet", code="processor_not_yet_notified")
    if not decided.get("confirmed_at"):

        def confirmed(current: PrivacyRequest) -> PrivacyRequest:
            if _decided(current, processor).get("confirmed_at"):
                raise Conflict("already confirmed", code="concurrent_update")
            return _with_entry(current, processor, confirmed_at=now.isoformat(), confirmed_by=actor, note=note)

        request = services.requests.change(
            request_id,
            confirmed,
            action="processor_confirmed",
            actor=actor,
            at=now,
            details={"processor": processor, "has_note": bool(note)},
        )
    # Idempotent, and repeated on a retry: the monitor stops looking at the notice.
    sent.close(request_id, processor, confirmed_at=now, escalated_at=None)
    return notices_view(request, sent.of_request(request_id), now)


@dataclass
class EscalationRun:
    escalated: list[str]  # "<request id>/<processor>"
    failed: list[str]


def escalate_overdue(now: datetime, *, services: RequestServices, sent: SentNotices, dpo_email: str) -> EscalationRun:
    """Warn the DPO once about each notice past its confirmation date. The warning is an outbox
    item of the audited change that records the escalation, so it exists exactly when that does."""
    run = EscalationRun([], [])
    for notice in sent.awaiting_due(now):
        reference = f"{notice.request_id}/{notice.processor}"
        try:
            request = services.requests.require(notice.request_id)
            decided = _decided(request, notice.processor)
            if not (decided.get("confirmed_at") or decided.get("escalated_at")):

                def escalated(current: PrivacyRequest, name: str = notice.processor) -> PrivacyRequest:
                    entry = _decided(current, name)
                    if entry.get("confirmed_at") or entry.get("escalated_at"):
                        raise Conflict("already handled", code="concurrent_update")
                    return _with_entry(current, name, escalated_at=now.isoformat())

                def warning(
                    after: PrivacyRequest, due: datetime = notice.due_at, name: str = notice.processor
                ) -> list[OutboxItem]:
                    return [email_item("processor_overdue", overdue_email(dpo_email, after, name, due))]

                services.requests.change(
                    notice.request_id,
                    escalated,
                    action="processor_overdue",
                    actor="deadline_monitor",
                    at=now,
                    details={"processor": notice.processor, "due_at": notice.due_at.isoformat()},
                    outbox=warning,
                )
                run.escalated.append(reference)
            confirmed = decided.get("confirmed_at")
            sent.close(
                notice.request_id,
                notice.processor,
                confirmed_at=datetime.fromisoformat(confirmed) if confirmed else None,
                escalated_at=now,
            )
        except (Conflict, NotFound):
            run.failed.append(reference)  # retried on the next run (the index still lists it)
    return run
