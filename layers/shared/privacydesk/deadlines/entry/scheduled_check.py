"""The deadline monitor's schedule adapter: one EventBridge Scheduler tick -> one check of every
open request's clocks, with its metrics. A run whose notices could not all be delivered fails, so
its alarm sees it (the notices were released and are retried on the next tick)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from privacydesk.kernel.observability import logger, metrics

# NoticeKind's value -> the metric that counts it
METRIC_OF = {
    "acknowledge_warning": "DeadlineWarnings",
    "respond_warning": "DeadlineWarnings",
    "acknowledge_breach": "DeadlineBreaches",
    "respond_breach": "DeadlineBreaches",
    "verification_reminder": "VerificationReminders",
    "expiry": "RequestsExpired",
}


def check_deadlines(event: dict[str, Any]) -> dict[str, Any]:
    # The monitor's domain and stores load with its first tick, not at init: a cold start's import
    # stays at the libraries' floor (bench/cold_start.py), and the first tick pays for what it uses.
    from privacydesk.bootstrap import deadline_check_ports
    from privacydesk.deadlines.domain import deadline_checks
    from privacydesk.kernel.clock import utc_now
    from privacydesk.kernel.settings import get_settings
    from privacydesk.processors.entry.overdue import check_processor_notices
    from privacydesk.requests.domain.deadline_monitor import NoticeKind, scheduled_time

    now = scheduled_time(event) or utc_now()
    run = deadline_checks.run(now, **deadline_check_ports())
    counts = dict.fromkeys(METRIC_OF.values(), 0)
    for kind, request_ids in run.sent.items():
        counts[METRIC_OF[NoticeKind(kind).value]] += len(request_ids)
    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.add_metric(name="OverdueRequests", unit=MetricUnit.Count, value=run.overdue)
    processors = check_processor_notices(now, get_settings().dpo_email)  # overdue processor notices
    metrics.add_metric(name="ProcessorNoticesEscalated", unit=MetricUnit.Count, value=len(processors.escalated))
    summary = {**run.summary(), "processor_notices_escalated": len(processors.escalated)}
    logger.info("deadline check", extra=summary)
    return summary
