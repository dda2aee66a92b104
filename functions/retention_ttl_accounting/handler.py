"""Records the deletions DynamoDB TTL made on the reference stores (their streams, TTL only)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.clock import utc_now
from privacydesk.jobs.retention import account_ttl_deletions
from privacydesk.kernel.function_config import RetentionTtlAccountingConfig
from privacydesk.observability import logger

CONFIG = RetentionTtlAccountingConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"ttl_deleted": account_ttl_deletions(event.get("Records", []), utc_now())}
