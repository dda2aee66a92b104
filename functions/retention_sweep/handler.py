"""Daily retention sweep (EventBridge Scheduler): removes what outlived its retention, resumably.

Only the invocation holding the sweep lease works. One that runs out of time saves its checkpoint,
releases the lease and sends a continuation ({"run_started": ..., "generation": n}) to
RetentionContinuationQueue, which invokes this function again; it resumes where the last one stopped.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.kernel.function_config import RetentionSweepConfig
from privacydesk.kernel.observability import logger, metrics
from privacydesk.retention.entry.jobs import sweep_invocation

CONFIG = RetentionSweepConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return sweep_invocation(event, context)
