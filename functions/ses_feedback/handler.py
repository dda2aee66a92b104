"""ses_feedback: SES sending events (bounce, complaint, delivery, reject) of the notice configuration
set, from the default EventBridge bus -> the delivery ledger and the suppression list."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.change_notices.entry.jobs import record_sending_event
from privacydesk.kernel.function_config import SesFeedbackConfig
from privacydesk.kernel.observability import logger, metrics

CONFIG = SesFeedbackConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    return record_sending_event(event)
