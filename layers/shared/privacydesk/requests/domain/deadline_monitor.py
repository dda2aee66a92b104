"""What the deadline monitor owes each open request at a given moment (pure; `now` passed in).

Every request has a schedule of notices, each with the moment it falls due:

- rights requests still pending verification wait on the requester, not on us: a reminder at
  `remind_at` (50%) of the unverified window, and expiry when it ends;
- the acknowledgement clock (48 business hours, Asia/Manila with Philippine holidays), while
  nobody has acknowledged the request: a warning to the DPO at `warn_at` (75%) of the window,
  measured in business hours, and a breach at the due moment;
- the response clock (30 days, moved by extensions): a warning at 75% of the window and a
  breach at the due moment.

Each notice has a key `<kind>@<due moment>`, recorded on the request once it is sent
(`PrivacyRequest.notices_sent`), so hourly runs never repeat one. Keying by the due moment
means an extension (a new due date) gets its own warning and breach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from privacydesk.kernel.errors import Conflict
from privacydesk.requests.domain.audit_trail import check_transition
from privacydesk.requests.domain.deadlines import ClockPolicy
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus


class NoticeKind(StrEnum):
    ACKNOWLEDGE_WARNING = "acknowledge_warning"
    ACKNOWLEDGE_BREACH = "acknowledge_breach"
    RESPOND_WARNING = "respond_warning"
    RESPOND_BREACH = "respond_breach"
    VERIFICATION_REMINDER = "verification_reminder"
    EXPIRY = "expiry"


# A notice that is due together with the one that supersedes it is recorded but not sent:
# after a missed warning, the DPO hears of the breach; after a missed reminder, of the expiry.
SUPERSEDED_BY = {
    NoticeKind.ACKNOWLEDGE_WARNING: NoticeKind.ACKNOWLEDGE_BREACH,
    NoticeKind.RESPOND_WARNING: NoticeKind.RESPOND_BREACH,
    NoticeKind.VERIFICATION_REMINDER: NoticeKind.EXPIRY,
}
BREACHES = frozenset({NoticeKind.ACKNOWLEDGE_BREACH, NoticeKind.RESPOND_BREACH})
WARNINGS = frozenset({NoticeKind.ACKNOWLEDGE_WARNING, NoticeKind.RESPOND_WARNING})
CLOCK_OF = {
    NoticeKind.ACKNOWLEDGE_WARNING: "acknowledge",
    NoticeKind.ACKNOWLEDGE_BREACH: "acknowledge",
    NoticeKind.RESPOND_WARNING: "respond",
    NoticeKind.RESPOND_BREACH: "respond",
}


@dataclass(frozen=True)
class MonitorRules:
    clock_policy: ClockPolicy = field(default_factory=ClockPolicy)
    warn_at: float = 0.75  # share of a window after which the DPO is warned
    unverified_expiry_days: int = 14
    remind_at: float = 0.5  # share of the unverified window after which the requester is reminded


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    at: datetime  # when it falls due
    due_at: datetime  # the deadline it is about

    @property
    def key(self) -> str:
        return f"{self.kind.value}@{self.due_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"

    @property
    def clock(self) -> str | None:
        return CLOCK_OF.get(self.kind)


@dataclass(frozen=True)
class Assessment:
    send: list[Notice]  # due now: act on them
    skip: list[Notice]  # due now but superseded: recorded, not sent
    overdue: bool  # a clock has run out and is still unmet

    @property
    def keys(self) -> list[str]:
        return sorted(n.key for n in [*self.send, *self.skip])

    def changes(self, request: PrivacyRequest) -> bool:
        return bool(self.send or self.skip) or self.overdue != request.overdue


class NothingDue(Conflict):
    """The stored request no longer owes what the index copy did (another run or an edit won)."""

    code = "nothing_due"


def expires_at(request: PrivacyRequest, rules: MonitorRules) -> datetime:
    return request.received_at + timedelta(days=rules.unverified_expiry_days)


def schedule(request: PrivacyRequest, rules: MonitorRules) -> list[Notice]:
    """Every notice the request's current clocks call for, sent or not."""
    if not request.is_open:
        return []
    if request.status == RequestStatus.PENDING_VERIFICATION:
        expiry = expires_at(request, rules)
        remind = request.received_at + (expiry - request.received_at) * rules.remind_at
        return [
            Notice(NoticeKind.VERIFICATION_REMINDER, remind, expiry),
            Notice(NoticeKind.EXPIRY, expiry, expiry),
        ]
    notices: list[Notice] = []
    if request.acknowledged_at is None:
        calendar = rules.clock_policy.calendar
        window = calendar.business_hours_between(request.received_at, request.acknowledge_by)
        warn = calendar.add_business_hours(request.received_at, window * rules.warn_at)
        notices += [
            Notice(NoticeKind.ACKNOWLEDGE_WARNING, min(warn, request.acknowledge_by), request.acknowledge_by),
            Notice(NoticeKind.ACKNOWLEDGE_BREACH, request.acknowledge_by, request.acknowledge_by),
        ]
    respond_warn = request.received_at + (request.respond_by - request.received_at) * rules.warn_at
    notices += [
        Notice(NoticeKind.RESPOND_WARNING, respond_warn, request.respond_by),
        Notice(NoticeKind.RESPOND_BREACH, request.respond_by, request.respond_by),
    ]
    return notices


def pending(request: PrivacyRequest, rules: MonitorRules) -> list[Notice]:
    sent = set(request.notices_sent)
    return [n for n in schedule(request, rules) if n.key not in sent]


def is_overdue(request: PrivacyRequest, now: datetime, rules: MonitorRules) -> bool:
    return any(n.kind in BREACHES and n.at <= now for n in schedule(request, rules))


def assess(request: PrivacyRequest, now: datetime, rules: MonitorRules) -> Assessment:
    due = [n for n in pending(request, rules) if n.at <= now]
    due_kinds = {n.kind for n in due}
    send = [n for n in due if SUPERSEDED_BY.get(n.kind) not in due_kinds]
    skip = [n for n in due if n not in send]
    return Assessment(send=send, skip=skip, overdue=is_overdue(request, now, rules))


def next_check_at(request: PrivacyRequest, rules: MonitorRules) -> datetime:
    """The next moment the monitor must look at an open request.

    An overdue request is looked at on every run (its receipt is always in the past), so the
    monitor can count what is overdue for the alarm and clear the mark once the clock is met.
    """
    moments = [n.at for n in pending(request, rules)]
    if request.overdue:
        moments.append(request.received_at)
    return min(moments, default=request.respond_by)


def checked(request: PrivacyRequest, now: datetime, rules: MonitorRules, expected: list[str]) -> PrivacyRequest:
    """The request with this run's notices recorded (the mutation the repository applies).

    `expected` are the keys assessed from the index copy; if the stored request owes
    something else, the run leaves it for the next hour rather than act on stale data.
    """
    assessment = assess(request, now, rules)
    if assessment.keys != expected or not assessment.changes(request):
        raise NothingDue("nothing is due on this request any more", code="nothing_due")
    update: dict[str, Any] = {
        "notices_sent": [*request.notices_sent, *assessment.keys],
        "overdue": assessment.overdue,
    }
    if any(n.kind == NoticeKind.EXPIRY for n in assessment.send):
        check_transition(request.status, RequestStatus.EXPIRED)
        update.update(status=RequestStatus.EXPIRED, closed_at=now, overdue=False)
    return request.model_copy(update=update)


def released(request: PrivacyRequest, keys: list[str]) -> PrivacyRequest:
    """The request with notices that could not be delivered forgotten, so the next run retries."""
    return request.model_copy(update={"notices_sent": [k for k in request.notices_sent if k not in keys]})


def scheduled_time(event: Any) -> datetime | None:
    """The `time` of a scheduled event (EventBridge sets it; the Scheduler input template fills it).

    The monitor judges clocks at the scheduled moment, so a delayed or retried run still
    decides the same way; tests drive time through it.
    """
    raw = event.get("time") if isinstance(event, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
