"""notice_dispatch: a significant Policy.Published (or its own continuation) -> recipients on the notice queue."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.change_notices.entry.jobs import dispatch_published_version
from privacydesk.kernel.function_config import NoticeDispatchConfig
from privacydesk.kernel.observability import logger, metrics

CONFIG = NoticeDispatchConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    return dispatch_published_version(event, context)
