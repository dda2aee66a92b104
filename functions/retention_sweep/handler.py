"""Daily retention sweep (EventBridge Scheduler): removes what outlived its retention, resumably.

An invocation that runs out of time saves its checkpoint and invokes the function again with a
continuation event ({"run_started": ..., "generation": n}); the next one resumes where it stopped.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.clock import utc_now
from privacydesk.jobs.retention import invoke_again, run_sweep
from privacydesk.observability import logger


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Per-store metrics are flushed by run_sweep (one EMF record per store, dimension "store").
    report = run_sweep(
        utc_now(),
        context.get_remaining_time_in_millis,
        continuation=event if isinstance(event, dict) and "run_started" in event else None,
        continue_with=invoke_again(context.invoked_function_arn),
    )
    return report.as_dict()
