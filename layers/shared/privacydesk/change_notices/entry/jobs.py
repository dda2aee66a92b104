"""Entry adapters of the significant-change emails: the fan-out (Policy.Published), the sender
(recipient batches from the notice queue), SES's sending events, and the daily acceptance record.
Each turns its event into one domain call with the ports the composition root builds.

Four functions share this module, so each entry imports its own domain when first called: a cold
start's import stays at the libraries' floor (bench/cold_start.py) and pays for no other function's."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from privacydesk import bootstrap
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext


@cache
def _sender_batches() -> BatchProcessor:
    """Powertools' batch processor, built on first use (its import is heavy: asyncio and every event
    class). A failed batch is reported on its own (ReportBatchItemFailures); the queue's redrive
    policy moves a persistent failure to its DLQ."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.SQS)


def dispatch_published_version(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    from privacydesk.change_notices.domain.model import DispatchRequest
    from privacydesk.change_notices.domain.notice_dispatch import dispatch

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
    from aws_lambda_powertools.utilities.batch import process_partial_response

    from privacydesk.change_notices.domain.model import RecipientBatch
    from privacydesk.change_notices.domain.notice_delivery import deliver_batch

    sending = bootstrap.notice_sending(seconds_left=lambda: context.get_remaining_time_in_millis() / 1000)

    def send(record: SQSRecord) -> None:
        report = deliver_batch(RecipientBatch.model_validate_json(record.body), sending)
        logger.info("notice batch", extra={"version": report.version, "outcomes": dict(report.outcomes)})
        for outcome, count in report.outcomes.items():
            metrics.add_metric(name=f"Notices_{outcome}", unit=MetricUnit.Count, value=count)

    processor = _sender_batches()
    return dict(process_partial_response(event=event, record_handler=send, processor=processor, context=context))


def record_sending_event(event: EventBridgeEvent) -> dict[str, Any]:
    from privacydesk.change_notices.domain.model import SesSendingEvent
    from privacydesk.change_notices.domain.notice_feedback import apply_feedback

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
    from privacydesk.change_notices.domain.notice_acceptance import record_acceptances

    reports = record_acceptances(utc_now(), **bootstrap.acceptance_ports())
    for report in reports:
        logger.info("acceptance recorded", extra={"version": report.version, "accepted_now": report.accepted_now})
        metrics.add_metric(name="PolicyAcceptancesRecorded", unit=MetricUnit.Count, value=report.accepted_now)
    return {
        "versions": [{"version": r.version, "notified": r.notified, "accepted_now": r.accepted_now} for r in reports]
    }
