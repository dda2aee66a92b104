"""notice_sender: recipient batches from the notice queue -> one email each through SES v2, at most
once per (version, account), within NOTICE_MAX_SEND_RATE. Failed records are reported one by one
(ReportBatchItemFailures); the queue's redrive policy moves a persistent failure to its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.change_notices.entry.jobs import send_recipient_batches
from privacydesk.kernel.function_config import NoticeSenderConfig
from privacydesk.kernel.observability import logger, metrics

CONFIG = NoticeSenderConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return send_recipient_batches(event, context)
