"""notice_acceptance (daily): notified accounts that kept using the API after a significant version
took effect are recorded on their ledger entries as having accepted it."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.clock import utc_now
from privacydesk.dal.delivery_ledger import DeliveryLedger
from privacydesk.dal.notice_recipients import ApiUsage
from privacydesk.dal.policy_store import PolicyRepository
from privacydesk.kernel.function_config import NoticeAcceptanceConfig
from privacydesk.logic.notice_acceptance import record_acceptances
from privacydesk.observability import logger, metrics

CONFIG = NoticeAcceptanceConfig.from_environment()  # at cold start: fails naming what is missing

catalog, ledger, usage = PolicyRepository(), DeliveryLedger(), ApiUsage()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    reports = record_acceptances(utc_now(), catalog=catalog, ledger=ledger, usage=usage)
    for report in reports:
        logger.info("acceptance recorded", extra={"version": report.version, "accepted_now": report.accepted_now})
        metrics.add_metric(name="PolicyAcceptancesRecorded", unit=MetricUnit.Count, value=report.accepted_now)
    return {
        "versions": [{"version": r.version, "notified": r.notified, "accepted_now": r.accepted_now} for r in reports]
    }
