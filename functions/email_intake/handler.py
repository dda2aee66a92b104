"""Email intake: SES receiving (raw message in S3) -> a request or a review entry."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.email_intake.entry.email_events import intake_records
from privacydesk.kernel.function_config import EmailIntakeConfig
from privacydesk.kernel.observability import logger, metrics

CONFIG = EmailIntakeConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"results": intake_records(event, context)}
