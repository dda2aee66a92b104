"""Fulfilment: carries out verified (and approved) requests across every data store.

Fed from the bus through SQS; reports partial batch failures, so only failed messages return
to the queue (and, after their retries, to the DLQ).
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.api.fulfilment_queue import handle_message
from privacydesk.kernel.function_config import FulfilmentConfig
from privacydesk.observability import logger, metrics

CONFIG = FulfilmentConfig.from_environment()  # at cold start: fails naming what is missing

# Failed records are reported, never raised: Lambda then retries exactly those, even when all failed.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> dict[str, Any]:
    return handle_message(record.body, attempt=int(record.attributes.approximate_receive_count or 1))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
