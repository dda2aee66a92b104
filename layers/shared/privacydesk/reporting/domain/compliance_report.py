"""The compliance report over requests received in a period (pure; `as_of` passed in).

The figures a regulator or a CCPA-style annual disclosure asks for:

- counts by type, channel and outcome (the status a closed request ended in; "open" otherwise);
- acknowledged on time: acknowledged by the 48-business-hour due moment. A rights request is
  acknowledged when its requester verifies it (the clock waits on them until then), so one
  acknowledged at verification is on time; a rights request never verified never needed an
  acknowledgement and is left out. An unacknowledged request past its due moment is late;
  one not yet due is pending (left out of the rate);
- answered on time: completed, denied or answered by the response due date, extensions
  included (an extension with a reason is allowed by the policy). An open or failed request past
  its due date is late; expired and cancelled requests were never owed an answer;
- days to close (received -> closed) of requests completed, denied or answered: the median and
  the 90th percentile (linear interpolation between closest ranks, like PERCENTILE.INC);
- every extension and every denial, with its reason;
- per week (Monday, Asia/Manila) of receipt: requests received and the on-time answer rate;
- manual tasks (data-map stores of kind `manual`, issue 20): how many are open and closed, the age
  of the oldest open one and the median days a closed one took;
- processor notices (GDPR Art. 19, issue 20): per processor, how many corrections and erasures it
  was told of are pending, confirmed or overdue. Read from each request's outcome, the audited
  record (`outcome["processors"]`): confirmed once the DPO recorded it; overdue once the deadline
  monitor escalated it, or when `confirm_within_days` after the completion have passed (the notice
  goes out with the completion's outbox, seconds later); pending otherwise.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from privacydesk.kernel.base_model import Model
from privacydesk.kernel.errors import InvalidInput
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus, RequestType

MANILA = ZoneInfo("Asia/Manila")
RESPONDED = frozenset({RequestStatus.COMPLETED, RequestStatus.DENIED, RequestStatus.ANSWERED})
NEVER_OWED_AN_ANSWER = frozenset({RequestStatus.EXPIRED, RequestStatus.CANCELLED, RequestStatus.PENDING_VERIFICATION})
MAX_PERIOD = timedelta(days=731)


class ReceivedRequests(Protocol):
    def received_between(self, start: datetime, end: datetime) -> list[PrivacyRequest]: ...


class Share(Model):
    on_time: int = 0
    late: int = 0
    pending: int = 0
    rate: float | None = None  # on_time / (on_time + late); None when nothing was due


class DaysToClose(Model):
    count: int
    median: float | None
    p90: float | None


class ExtensionItem(Model):
    request_id: str
    type: str
    at: datetime
    days: int
    reason: str


class DenialItem(Model):
    request_id: str
    type: str
    at: datetime | None
    reason: str


class Extensions(Model):
    count: int
    requests: int
    items: list[ExtensionItem]


class Denials(Model):
    count: int
    by_reason: dict[str, int]
    items: list[DenialItem]


class Week(Model):
    week_start: date  # Monday, Asia/Manila
    received: int
    answered_on_time: int
    answered_late: int
    on_time_rate: float | None


class ManualTaskFigures(Model):
    open: int = 0
    closed: int = 0
    oldest_open_days: float | None = None
    median_days_to_close: float | None = None


class ProcessorNoticeFigures(Model):
    pending: int = 0
    confirmed: int = 0
    overdue: int = 0


class ComplianceReport(Model):
    period_from: datetime
    period_to: datetime
    as_of: datetime
    received: int
    by_type: dict[str, int]
    by_channel: dict[str, int]
    by_outcome: dict[str, int]
    acknowledged_on_time: Share
    answered_on_time: Share
    days_to_close: DaysToClose
    extensions: Extensions
    denials: Denials
    weekly: list[Week]
    manual_tasks: ManualTaskFigures = ManualTaskFigures()
    processor_notices: dict[str, ProcessorNoticeFigures] = {}  # processor name -> its notices


def parse_moment(raw: str, name: str) -> datetime:
    """A date (midnight in Asia/Manila, where the business runs) or an ISO datetime."""
    try:
        if len(raw.strip()) == 10:
            return datetime.combine(date.fromisoformat(raw.strip()), time(0), MANILA)
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidInput(
            f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 datetime", code="invalid_period"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=MANILA)


def period(raw_from: str, raw_to: str) -> tuple[datetime, datetime]:
    start, end = parse_moment(raw_from, "from"), parse_moment(raw_to, "to")
    if end <= start:
        raise InvalidInput("to must be after from (the period is [from, to))", code="invalid_period")
    if end - start > MAX_PERIOD:
        raise InvalidInput("a report covers at most two years", code="period_too_long")
    return start, end


def for_period(store: ReceivedRequests, raw_from: str, raw_to: str, as_of: datetime) -> ComplianceReport:
    start, end = period(raw_from, raw_to)
    return build(store.received_between(start, end), start, end, as_of)


def _rate(share: Share) -> Share:
    due = share.on_time + share.late
    return share.model_copy(update={"rate": round(share.on_time / due, 4) if due else None})


def acknowledgement(request: PrivacyRequest, as_of: datetime) -> str | None:
    """ "on_time", "late", "pending", or None when no acknowledgement was owed."""
    if request.type != RequestType.INQUIRY and request.verified_at is None:
        return None
    if request.acknowledged_at is not None:
        at_verification = request.verified_at is not None and request.acknowledged_at <= request.verified_at
        return "on_time" if at_verification or request.acknowledged_at <= request.acknowledge_by else "late"
    if not request.is_open:
        closed = request.closed_at or as_of
        return "late" if closed > request.acknowledge_by else None
    return "late" if as_of > request.acknowledge_by else "pending"


def answer(request: PrivacyRequest, as_of: datetime) -> str | None:
    """ "on_time", "late", "pending", or None when no answer was owed."""
    if request.status in NEVER_OWED_AN_ANSWER:
        return None
    if request.status in RESPONDED:
        return "on_time" if request.closed_at is not None and request.closed_at <= request.respond_by else "late"
    return "late" if as_of > request.respond_by else "pending"


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(share * 100) - 1]


def week_start(moment: datetime) -> date:
    day = moment.astimezone(MANILA).date()
    return day - timedelta(days=day.weekday())


def manual_task_figures(requests: list[PrivacyRequest], as_of: datetime) -> ManualTaskFigures:
    """From each request's external steps (fulfilment.domain.pending_steps keeps them in its outcome)."""
    open_ages: list[float] = []
    closed_days: list[float] = []
    for request in requests:
        for step in request.outcome.get("external_steps", {}).values():
            if step.get("kind") != "manual":
                continue
            opened = datetime.fromisoformat(step["opened_at"])
            if step.get("state") == "pending":
                open_ages.append((as_of - opened).total_seconds() / 86400)
            elif step.get("resolved_at"):
                closed_days.append((datetime.fromisoformat(step["resolved_at"]) - opened).total_seconds() / 86400)
    return ManualTaskFigures(
        open=len(open_ages),
        closed=len(closed_days),
        oldest_open_days=round(max(open_ages), 2) if open_ages else None,
        median_days_to_close=round(statistics.median(closed_days), 2) if closed_days else None,
    )


def processor_notice_state(request: PrivacyRequest, decided: dict[str, Any], as_of: datetime) -> str:
    """confirmed, overdue or pending (see the module's docstring)."""
    if decided.get("confirmed_at"):
        return "confirmed"
    if decided.get("escalated_at"):
        return "overdue"
    days = decided.get("confirm_within_days")
    told_at = request.closed_at
    if told_at is not None and isinstance(days, int) and told_at + timedelta(days=days) <= as_of:
        return "overdue"
    return "pending"


def processor_notice_figures(requests: list[PrivacyRequest], as_of: datetime) -> dict[str, ProcessorNoticeFigures]:
    counts: dict[str, Counter[str]] = {}
    for request in requests:
        for name, decided in (request.outcome.get("processors") or {}).items():
            if isinstance(decided, dict):
                counts.setdefault(name, Counter())[processor_notice_state(request, decided, as_of)] += 1
    return {name: ProcessorNoticeFigures(**found) for name, found in sorted(counts.items())}


def build(
    requests: list[PrivacyRequest], period_from: datetime, period_to: datetime, as_of: datetime
) -> ComplianceReport:
    chosen = sorted(
        (r for r in requests if period_from <= r.received_at < period_to), key=lambda r: (r.received_at, r.request_id)
    )
    acknowledged, answered = Share(), Share()
    weeks: dict[date, Counter[str]] = {}
    start = week_start(period_from)
    while datetime.combine(start, time(0), MANILA) < period_to:
        weeks[start] = Counter()
        start += timedelta(days=7)
    days: list[float] = []
    extensions: list[ExtensionItem] = []
    denials: list[DenialItem] = []
    for request in chosen:
        ack = acknowledgement(request, as_of)
        if ack:
            setattr(acknowledged, ack, getattr(acknowledged, ack) + 1)
        ans = answer(request, as_of)
        if ans:
            setattr(answered, ans, getattr(answered, ans) + 1)
        week = weeks.setdefault(week_start(request.received_at), Counter())
        week["received"] += 1
        if ans in ("on_time", "late"):
            week[ans] += 1
        if request.status in RESPONDED and request.closed_at is not None:
            days.append((request.closed_at - request.received_at).total_seconds() / 86400)
        extensions += [
            ExtensionItem(
                request_id=request.request_id,
                type=request.type.value,
                at=e.at,
                days=(e.respond_by - e.previous_respond_by).days,
                reason=e.reason,
            )
            for e in request.extensions
        ]
        if request.status == RequestStatus.DENIED:
            denials.append(
                DenialItem(
                    request_id=request.request_id,
                    type=request.type.value,
                    at=request.closed_at,
                    reason=request.denial_reason or "(no reason recorded)",
                )
            )
    median = statistics.median(days) if days else None
    p90 = percentile(days, 0.9)
    return ComplianceReport(
        period_from=period_from,
        period_to=period_to,
        as_of=as_of,
        received=len(chosen),
        by_type=dict(sorted(Counter(r.type.value for r in chosen).items())),
        by_channel=dict(sorted(Counter(r.channel.value for r in chosen).items())),
        by_outcome=dict(sorted(Counter(r.status.value if not r.is_open else "open" for r in chosen).items())),
        acknowledged_on_time=_rate(acknowledged),
        answered_on_time=_rate(answered),
        days_to_close=DaysToClose(
            count=len(days),
            median=round(median, 2) if median is not None else None,
            p90=round(p90, 2) if p90 is not None else None,
        ),
        extensions=Extensions(
            count=len(extensions), requests=len({e.request_id for e in extensions}), items=extensions
        ),
        denials=Denials(
            count=len(denials), by_reason=dict(sorted(Counter(d.reason for d in denials).items())), items=denials
        ),
        weekly=[
            Week(
                week_start=day,
                received=counts["received"],
                answered_on_time=counts["on_time"],
                answered_late=counts["late"],
                on_time_rate=round(counts["on_time"] / (counts["on_time"] + counts["late"]), 4)
                if counts["on_time"] + counts["late"]
                else None,
            )
            for day, counts in sorted(weeks.items())
        ],
        manual_tasks=manual_task_figures(chosen, as_of),
        processor_notices=processor_notice_figures(chosen, as_of),
    )


CSV_COLUMNS = ["section", "key", "value", "detail"]


def _cell(value: object) -> object:
    """Free text (reasons) must not start a spreadsheet formula when the CSV is opened."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _states(figures: ProcessorNoticeFigures) -> str:
    return f"pending={figures.pending};confirmed={figures.confirmed};overdue={figures.overdue}"


def to_csv(report: ComplianceReport) -> str:
    """One table, four columns: summary figures first, then one row per extension, denial and week."""
    rows: list[list[object]] = [
        ["period", "from", report.period_from.isoformat(), ""],
        ["period", "to", report.period_to.isoformat(), ""],
        ["period", "as_of", report.as_of.isoformat(), ""],
        ["totals", "received", report.received, ""],
    ]
    for section, counts in (
        ("by_type", report.by_type),
        ("by_channel", report.by_channel),
        ("by_outcome", report.by_outcome),
    ):
        rows += [[section, key, value, ""] for key, value in counts.items()]
    for section, share in (
        ("acknowledged_on_time", report.acknowledged_on_time),
        ("answered_on_time", report.answered_on_time),
    ):
        rows += [[section, key, "" if value is None else value, ""] for key, value in share.model_dump().items()]
    rows += [["days_to_close", key, "" if value is None else value, ""] for key, value in report.days_to_close]
    rows += [
        ["extensions", "count", report.extensions.count, ""],
        ["extensions", "requests", report.extensions.requests, ""],
    ]
    rows += [["extension", e.request_id, e.days, e.reason] for e in report.extensions.items]
    rows += [["denials", "count", report.denials.count, ""]]
    rows += [["denials_by_reason", reason, count, ""] for reason, count in report.denials.by_reason.items()]
    rows += [["denial", d.request_id, d.type, d.reason] for d in report.denials.items]
    rows += [
        ["manual_tasks", key, "" if value is None else value, ""]
        for key, value in report.manual_tasks.model_dump().items()
    ]
    rows += [
        ["processor_notices", name, figures.pending + figures.confirmed + figures.overdue, _states(figures)]
        for name, figures in report.processor_notices.items()
    ]
    for week in report.weekly:
        rate = "" if week.on_time_rate is None else week.on_time_rate
        rows.append(
            [
                "week",
                week.week_start.isoformat(),
                week.received,
                f"on_time={week.answered_on_time};late={week.answered_late};rate={rate}",
            ]
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([[_cell(value) for value in row] for row in rows])
    return buffer.getvalue()
