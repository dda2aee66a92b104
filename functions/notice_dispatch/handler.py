"""notice_dispatch: a significant Policy.Published (or its own continuation) -> recipients on the notice queue."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.clock import utc_now
from privacydesk.dal.delivery_ledger import DeliveryLedger
from privacydesk.dal.notice_recipients import AccountDirectory
from privacydesk.integrations.event_bus import EventBridgePublisher
from privacydesk.integrations.notice_queue import SqsRecipientQueue
from privacydesk.kernel.function_config import NoticeDispatchConfig
from privacydesk.logic.notice_dispatch import dispatch
from privacydesk.models.notices import DispatchRequest
from privacydesk.observability import logger, metrics

CONFIG = NoticeDispatchConfig.from_environment()  # at cold start: fails naming what is missing

accounts, queue, ledger, bus = AccountDirectory(), SqsRecipientQueue(), DeliveryLedger(), EventBridgePublisher()


@logger.inject_lambda_context
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    request = DispatchRequest.model_validate(event.detail)
    outcome = dispatch(
        request.version,
        request.significant,  # the rule matches significant=true only; checked again here
        request.effective_at,
        owner=context.aws_request_id,
        now=utc_now(),
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
        accounts=accounts,
        queue=queue,
        runs=ledger,
        bus=bus,
    )
    logger.info(
        "notice dispatch", extra={"version": outcome.version, "result": outcome.result, "queued": outcome.queued}
    )
    metrics.add_metric(name="NoticeRecipientsQueued", unit=MetricUnit.Count, value=outcome.queued)
    return {
        "version": outcome.version,
        "result": outcome.result.value,
        "scanned": outcome.scanned,
        "queued": outcome.queued,
    }
