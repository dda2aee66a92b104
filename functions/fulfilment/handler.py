"""Fulfilment: carries out verified (and approved) requests across every data store.

Fed from the bus through SQS; reports partial batch failures, so only failed messages return
to the queue (and, after their retries, to the DLQ).
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.fulfilment.entry.fulfilment_queue import handle_batch
from privacydesk.kernel.function_config import FulfilmentConfig
from privacydesk.kernel.observability import logger, metrics

CONFIG = FulfilmentConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_batch(event, context)
