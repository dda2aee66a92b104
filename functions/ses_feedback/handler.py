"""ses_feedback: SES sending events (bounce, complaint, delivery, reject) of the notice configuration
set, from the default EventBridge bus -> the delivery ledger and the suppression list."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.clock import utc_now
from privacydesk.dal.delivery_ledger import DeliveryLedger
from privacydesk.dal.suppression_list import SuppressionList
from privacydesk.kernel.function_config import SesFeedbackConfig
from privacydesk.logic.notice_feedback import apply_feedback
from privacydesk.models.notices import SesSendingEvent
from privacydesk.observability import logger, metrics

CONFIG = SesFeedbackConfig.from_environment()  # at cold start: fails naming what is missing

ledger, suppressions = DeliveryLedger(), SuppressionList()


@logger.inject_lambda_context
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    ses_event = SesSendingEvent.model_validate(event.detail)
    outcome = apply_feedback(ses_event, ledger=ledger, suppressions=suppressions, now=utc_now())
    logger.info(
        "ses event",
        extra={
            "event_type": outcome.event_type,
            "version": outcome.version,
            "account_id": outcome.account_id,
            "ledger_updated": outcome.ledger_updated,
            "suppressed": outcome.suppressed,
        },
    )
    metrics.add_metric(name=f"SesEvent_{outcome.event_type}", unit=MetricUnit.Count, value=1)
    return {
        "event_type": outcome.event_type,
        "version": outcome.version,
        "account_id": outcome.account_id,
        "ledger_updated": outcome.ledger_updated,
        "suppressed": outcome.suppressed,
    }
