"""Entry adapters of the significant-change emails: the fan-out (Policy.Published), the sender
(recipient batches from the notice queue), SES's sending events, and the daily acceptance record.
Each turns its event into one domain call with the ports the composition root builds."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk import bootstrap
from privacydesk.change_notices.domain.model import DispatchRequest, RecipientBatch, SesSendingEvent
from privacydesk.change_notices.domain.notice_acceptance import record_acceptances
from privacydesk.change_notices.domain.notice_delivery import deliver_batch
from privacydesk.change_notices.domain.notice_dispatch import dispatch
from privacydesk.change_notices.domain.notice_feedback import apply_feedback
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.observability import logger, metrics

# A failed batch is reported on its own (ReportBatchItemFailures); the queue's redrive policy moves
# a persistent failure to its DLQ.
_sender_batches = BatchProcessor(event_type=EventType.SQS)


def dispatch_published_version(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    request = DispatchRequest.model_validate(event.detail)
    outcome = dispatch(
        request.version,
        request.significant,  # the rule matches significant=true only; checked again here
        request.effective_at,
        owner=context.aws_request_id,
        now=utc_now(),
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
        **bootstrap.notice_dispatch_ports(),
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


def send_recipient_batches(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    sending = bootstrap.notice_sending(seconds_left=lambda: context.get_remaining_time_in_millis() / 1000)

    def send(record: SQSRecord) -> None:
        report = deliver_batch(RecipientBatch.model_validate_json(record.body), sending)
        logger.info("notice batch", extra={"version": report.version, "outcomes": dict(report.outcomes)})
        for outcome, count in report.outcomes.items():
            metrics.add_metric(name=f"Notices_{outcome}", unit=MetricUnit.Count, value=count)

    return dict(process_partial_response(event=event, record_handler=send, processor=_sender_batches, context=context))


def record_sending_event(event: EventBridgeEvent) -> dict[str, Any]:
    ses_event = SesSendingEvent.model_validate(event.detail)
    outcome = apply_feedback(ses_event, now=utc_now(), **bootstrap.ses_feedback_ports())
    summary = {
        "event_type": outcome.event_type,
        "version": outcome.version,
        "account_id": outcome.account_id,
        "ledger_updated": outcome.ledger_updated,
        "suppressed": outcome.suppressed,
    }
    logger.info("ses event", extra=summary)
    metrics.add_metric(name=f"SesEvent_{outcome.event_type}", unit=MetricUnit.Count, value=1)
    return summary


def record_daily_acceptances() -> dict[str, Any]:
    reports = record_acceptances(utc_now(), **bootstrap.acceptance_ports())
    for report in reports:
        logger.info("acceptance recorded", extra={"version": report.version, "accepted_now": report.accepted_now})
        metrics.add_metric(name="PolicyAcceptancesRecorded", unit=MetricUnit.Count, value=report.accepted_now)
    return {
        "versions": [{"version": r.version, "notified": r.notified, "accepted_now": r.accepted_now} for r in reports]
    }
