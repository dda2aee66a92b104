"""Records the deletions DynamoDB TTL made on the reference stores (their streams, TTL only)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.kernel.function_config import RetentionTtlAccountingConfig
from privacydesk.kernel.observability import logger, metrics
from privacydesk.retention.entry.jobs import ttl_deletions_of_stream

CONFIG = RetentionTtlAccountingConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return ttl_deletions_of_stream(event)
