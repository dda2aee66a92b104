"""notice_acceptance (daily): notified accounts that kept using the API after a significant version
took effect are recorded on their ledger entries as having accepted it."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.change_notices.entry.jobs import record_daily_acceptances
from privacydesk.kernel.function_config import NoticeAcceptanceConfig
from privacydesk.kernel.observability import logger, metrics

CONFIG = NoticeAcceptanceConfig.from_environment()  # at cold start: fails naming what is missing


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return record_daily_acceptances()
