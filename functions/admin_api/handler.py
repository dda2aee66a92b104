"""Admin API for the DPO (AWS_IAM): requests, actions, policy, notices, subjects, reports."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.http_api.admin import app
from privacydesk.kernel.function_config import AdminApiConfig
from privacydesk.kernel.observability import logger, metrics

CONFIG = AdminApiConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
