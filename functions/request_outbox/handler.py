"""Request outbox: delivers the events, emails and SMS that request changes committed.

Fed by the outbox table's stream (inserts only). Reports partial batch failures: Lambda retries
from the first failed record, bisects a failing batch, and after its retries sends the record's
position to the outbox DLQ. Each item is claimed before it is sent, so a redelivery sends nothing
twice (requests.outbox).
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.kernel.function_config import RequestOutboxConfig
from privacydesk.kernel.observability import logger, metrics
from privacydesk.requests.entry.outbox_stream import handle_batch

CONFIG = RequestOutboxConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_batch(event, context)
