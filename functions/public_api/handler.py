"""Public API and page: policy, notices and data-rights requests."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.http_api.public import app
from privacydesk.kernel.function_config import PublicApiConfig
from privacydesk.kernel.observability import logger, metrics

CONFIG = PublicApiConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
