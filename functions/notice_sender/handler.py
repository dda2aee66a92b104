"""notice_sender: recipient batches from the notice queue -> one email each through SES v2, at most
once per (version, account), within NOTICE_MAX_SEND_RATE. Failed records are reported one by one
(ReportBatchItemFailures); the queue's redrive policy moves a persistent failure to its DLQ."""

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.clock import utc_now
from privacydesk.dal.delivery_ledger import DeliveryLedger
from privacydesk.dal.notice_recipients import AccountDirectory
from privacydesk.dal.policy_store import PolicyRepository
from privacydesk.dal.rate_limits import DynamoTokenBucket
from privacydesk.dal.suppression_list import SuppressionList
from privacydesk.integrations.notice_queue import NoticeMailer
from privacydesk.kernel.function_config import NoticeSenderConfig
from privacydesk.logic.notice_delivery import SendingContext, deliver_batch
from privacydesk.models.notices import RecipientBatch
from privacydesk.observability import logger, metrics
from privacydesk.settings import get_settings, link_base_url

CONFIG = NoticeSenderConfig.from_environment()  # at cold start: fails naming what is missing

SEND_BUCKET = "ses-notices"
processor = BatchProcessor(event_type=EventType.SQS)


def sending_context(context: LambdaContext) -> SendingContext:
    settings = get_settings()
    return SendingContext(
        versions=PolicyRepository(),
        recipients=AccountDirectory(),
        suppressions=SuppressionList(),
        ledger=DeliveryLedger(),
        limiter=DynamoTokenBucket(SEND_BUCKET, rate=settings.notice_max_send_rate),
        mailer=NoticeMailer(),
        base_url=link_base_url(),
        configuration_set=settings.notice_configuration_set or None,
        clock=utc_now,
        sleep=time.sleep,
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    sending = sending_context(context)

    def send(record: SQSRecord) -> None:
        report = deliver_batch(RecipientBatch.model_validate_json(record.body), sending)
        logger.info("notice batch", extra={"version": report.version, "outcomes": dict(report.outcomes)})
        for outcome, count in report.outcomes.items():
            metrics.add_metric(name=f"Notices_{outcome}", unit=MetricUnit.Count, value=count)

    return dict(process_partial_response(event=event, record_handler=send, processor=processor, context=context))
