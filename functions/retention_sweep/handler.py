"""Daily retention sweep (EventBridge Scheduler): removes what outlived its retention, resumably."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.clock import utc_now
from privacydesk.jobs.retention import run_sweep
from privacydesk.observability import logger


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Per-store metrics are single metrics (one dimension each), flushed as they are emitted.
    return run_sweep(utc_now(), context.get_remaining_time_in_millis).as_dict()
