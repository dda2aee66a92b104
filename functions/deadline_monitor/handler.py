"""Deadline monitor (hourly, EventBridge Scheduler): checks the clocks of every open request."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.deadlines.entry.scheduled_check import check_deadlines
from privacydesk.kernel.function_config import DeadlineMonitorConfig
from privacydesk.kernel.observability import logger, metrics

CONFIG = DeadlineMonitorConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return check_deadlines(event)
