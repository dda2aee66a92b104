"""Daily retention sweep (EventBridge Scheduler): removes what outlived its retention, resumably.

Only the invocation holding the sweep lease works. One that runs out of time saves its checkpoint,
releases the lease and sends a continuation ({"run_started": ..., "generation": n}) to
RetentionContinuationQueue, which invokes this function again; it resumes where the last one stopped.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.clock import utc_now
from privacydesk.jobs.retention import continuation_of, continue_through_queue, run_sweep
from privacydesk.kernel.function_config import RetentionSweepConfig
from privacydesk.observability import logger
from privacydesk.settings import get_settings

CONFIG = RetentionSweepConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Per-store metrics are flushed by run_sweep (one EMF record per store, dimension "store").
    report = run_sweep(
        utc_now(),
        context.get_remaining_time_in_millis,
        continuation=continuation_of(event) if isinstance(event, dict) else None,
        continue_with=continue_through_queue(get_settings().retention_continuation_queue_url),
        holder=context.aws_request_id,
    )
    return report.as_dict()
