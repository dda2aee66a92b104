"""Deadline monitor (hourly, EventBridge Scheduler): checks the clocks of every open request."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.api.wiring import fresh_services
from privacydesk.clock import utc_now
from privacydesk.dal.requests_store import RequestRepository, monitor_rules
from privacydesk.kernel.function_config import DeadlineMonitorConfig
from privacydesk.logic import deadline_checks
from privacydesk.logic.deadline_monitor import NoticeKind, scheduled_time
from privacydesk.observability import logger, metrics
from privacydesk.settings import get_settings

CONFIG = DeadlineMonitorConfig.from_environment()  # at cold start: fails naming what is missing

METRIC_OF = {
    NoticeKind.ACKNOWLEDGE_WARNING: "DeadlineWarnings",
    NoticeKind.RESPOND_WARNING: "DeadlineWarnings",
    NoticeKind.ACKNOWLEDGE_BREACH: "DeadlineBreaches",
    NoticeKind.RESPOND_BREACH: "DeadlineBreaches",
    NoticeKind.VERIFICATION_REMINDER: "VerificationReminders",
    NoticeKind.EXPIRY: "RequestsExpired",
}


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = scheduled_time(event) or utc_now()
    run = deadline_checks.run(
        now,
        services=fresh_services(),
        open_requests=RequestRepository(),
        rules=monitor_rules(),
        dpo_email=get_settings().dpo_email,
    )
    counts = dict.fromkeys(METRIC_OF.values(), 0)
    for kind, request_ids in run.sent.items():
        counts[METRIC_OF[NoticeKind(kind)]] += len(request_ids)
    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.add_metric(name="OverdueRequests", unit=MetricUnit.Count, value=run.overdue)
    metrics.add_metric(name="DeadlineNoticeFailures", unit=MetricUnit.Count, value=len(run.failed))
    summary = run.summary()
    logger.info("deadline check", extra=summary)
    if run.failed:  # the notices were released and are retried; fail the run so the alarm sees it
        raise RuntimeError(f"{len(run.failed)} deadline notices could not be delivered; they are retried")
    return summary
