"""One run of the deadline monitor: look at every open request whose next check is due, act.

For each request the notices due now (requests.domain.deadline_monitor) are first recorded on the
request in one conditional, audited write; only then are they delivered. Two overlapping runs
cannot both claim a notice, and a notice that cannot be delivered is forgotten again (released)
so the next run retries it: each is delivered once, and a breach is never silent.
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
    released,
)
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus
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
    failed: list[str] = field(default_factory=list)  # "<request id> <notice key>"
    overdue: int = 0  # open requests overdue after this run (the alarm's metric)

    def summary(self) -> dict[str, object]:
        return {
            "now": self.now.isoformat(),
            "checked": self.checked,
            "sent": {kind: sorted(ids) for kind, ids in sorted(self.sent.items())},
            "failed": self.failed,
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
            # An expiry closes the request: Request.Expired and the notice commit with it.
            outbox=lambda after: lifecycle.consequences("expired", after, now) if after.status == EXPIRED else [],
        )
    except NothingDue:
        return request
    except Conflict:
        logger.info("request changed during the check; next run", extra={"request_id": request.request_id})
        return request
    for notice in assessment.send:
        try:
            _deliver(notice, updated, now, services, dpo_email)
        except Exception:  # noqa: BLE001 - release the notice so the next run delivers it
            logger.exception("notice failed", extra={"request_id": request.request_id, "notice": notice.key})
            result.failed.append(f"{request.request_id} {notice.key}")
            updated = _release(updated, notice, now, services)
            continue
        result.sent[notice.kind.value].append(request.request_id)
        if notice.kind in BREACHES:
            _tell_the_dpo_of_breach(notice, updated, services, dpo_email, result)
    return updated


def _tell_the_dpo_of_breach(
    notice: Notice, request: PrivacyRequest, services: RequestServices, dpo: str, result: MonitorRun
) -> None:
    """The breach is already on the bus and raising the overdue alarm; the email names the
    request. If it fails, the run fails (the errors alarm) but the breach is not re-published."""
    try:
        services.mailer.send(dpo_notifications.deadline_breach_email(dpo, request, notice.clock or "", notice.due_at))
    except Exception:  # noqa: BLE001
        logger.exception("breach email failed", extra={"request_id": request.request_id, "notice": notice.key})
        result.failed.append(f"{request.request_id} {notice.key} email")


def _release(request: PrivacyRequest, notice: Notice, now: datetime, services: RequestServices) -> PrivacyRequest:
    try:
        return services.requests.change(
            request.request_id,
            lambda stored: released(stored, [notice.key]),
            action="deadline_notice_failed",
            actor=ACTOR,
            at=now,
            details={"notice": notice.key},
        )
    except Exception:  # noqa: BLE001 - the failure is already reported; the alarm on errors fires
        logger.exception("could not release notice", extra={"request_id": request.request_id})
        return request


def _deliver(notice: Notice, request: PrivacyRequest, now: datetime, services: RequestServices, dpo: str) -> None:
    if notice.kind in WARNINGS:
        services.mailer.send(dpo_notifications.deadline_warning_email(dpo, request, notice.clock or "", notice.due_at))
    elif notice.kind in BREACHES:
        services.events.publish(
            lifecycle.request_event(DeadlineBreached, request, now, clock=notice.clock or "", due_at=notice.due_at)
        )
    elif notice.kind == NoticeKind.VERIFICATION_REMINDER:
        intake.resend_verification(request, now, services)
    # NoticeKind.EXPIRY: nothing to send here; its event and notice were committed in the outbox.


unverified_address = lifecycle.unverified_address  # kept for callers of the old path
