"""One run of the deadline monitor: look at every open request whose next check is due, act.

For each request the notices due now (requests.domain.deadline_monitor) are recorded on the request in one
conditional, audited write, and their messages (the DPO's warning or breach email, the breach
event, the requester's reminder with its renewed challenge) are outbox items of that same
transaction: two overlapping runs cannot both record a notice, the outbox delivers each at least
once (retrying SES or the bus until they answer), and a breach is never silent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from privacydesk.deadlines.domain import dpo_notifications
from privacydesk.kernel.errors import Conflict
from privacydesk.kernel.events import DeadlineBreached
from privacydesk.kernel.observability import logger
from privacydesk.requests.domain import intake, lifecycle
from privacydesk.requests.domain.deadline_monitor import (
    BREACHES,
    WARNINGS,
    MonitorRules,
    NothingDue,
    Notice,
    NoticeKind,
    assess,
    checked,
    is_overdue,
)
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus
from privacydesk.requests.domain.outbox import OutboxItem, email_item, event_item
from privacydesk.requests.domain.ports import RequestServices

ACTOR = "deadline_monitor"
EXPIRED = RequestStatus.EXPIRED


class OpenRequests(Protocol):
    def open_due(self, before: datetime, limit: int = 500) -> list[PrivacyRequest]: ...


@dataclass
class MonitorRun:
    now: datetime
    checked: int = 0
    sent: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # kind -> request ids
    overdue: int = 0  # open requests overdue after this run (the alarm's metric)

    def summary(self) -> dict[str, object]:
        return {
            "now": self.now.isoformat(),
            "checked": self.checked,
            "sent": {kind: sorted(ids) for kind, ids in sorted(self.sent.items())},
            "overdue": self.overdue,
        }


def run(
    now: datetime, *, services: RequestServices, open_requests: OpenRequests, rules: MonitorRules, dpo_email: str
) -> MonitorRun:
    result = MonitorRun(now=now)
    for request in open_requests.open_due(now):
        result.checked += 1
        current = _check(request, now, services, rules, dpo_email, result)
        if current.is_open and is_overdue(current, now, rules):
            result.overdue += 1
    return result


def _check(
    request: PrivacyRequest,
    now: datetime,
    services: RequestServices,
    rules: MonitorRules,
    dpo_email: str,
    result: MonitorRun,
) -> PrivacyRequest:
    assessment = assess(request, now, rules)
    if not assessment.changes(request):
        return request
    expected = assessment.keys
    reminding = any(n.kind == NoticeKind.VERIFICATION_REMINDER for n in assessment.send)
    renewal = intake.reminder(request, now, services) if reminding else None

    def outbox(after: PrivacyRequest) -> list[OutboxItem]:
        # The notices are committed with the check that records them: the outbox delivers them
        # (and retries them) after the commit, never this run.
        items = lifecycle.consequences("expired", after, now) if after.status == EXPIRED else []
        for notice in assessment.send:
            items += notice_items(notice, after, now, dpo_email)
        return items + ([renewal[1]] if renewal else [])

    try:
        updated = services.requests.change(
            request.request_id,
            lambda stored: checked(stored, now, rules, expected),
            action="deadline_check",
            actor=ACTOR,
            at=now,
            details={
                "sent": [n.key for n in assessment.send],
                "superseded": [n.key for n in assessment.skip],
                "overdue": assessment.overdue,
            },
            outbox=outbox,
            challenge=renewal[0] if renewal else None,
        )
    except NothingDue:
        return request
    except Conflict:
        logger.info("request changed during the check; next run", extra={"request_id": request.request_id})
        return request
    for notice in assessment.send:
        if notice.kind == NoticeKind.VERIFICATION_REMINDER and renewal is None:
            continue  # capped or locked: recorded, not sent
        result.sent[notice.kind.value].append(request.request_id)
    return updated


def notice_items(notice: Notice, request: PrivacyRequest, now: datetime, dpo: str) -> list[OutboxItem]:
    """What a due notice sends, as outbox items (the reminder's is the renewed challenge's own).
    A breach is put on the bus (the overdue alarm) and emailed to the DPO; a warning is emailed."""
    clock = notice.clock or ""
    if notice.kind in WARNINGS:
        warning = dpo_notifications.deadline_warning_email(dpo, request, clock, notice.due_at)
        return [email_item(notice.kind.value, warning)]
    if notice.kind in BREACHES:
        breach = lifecycle.request_event(DeadlineBreached, request, now, clock=clock, due_at=notice.due_at)
        email = dpo_notifications.deadline_breach_email(dpo, request, clock, notice.due_at)
        return [event_item(breach), email_item(notice.kind.value, email)]
    return []  # the reminder: see `outbox` in _check; the expiry: lifecycle's "expired" consequences


unverified_address = lifecycle.unverified_address  # kept for callers of the old path
