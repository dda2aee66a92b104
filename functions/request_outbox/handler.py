"""Request outbox: delivers the events, emails and SMS that request changes committed.

Fed by the outbox table's stream (inserts only). Reports partial batch failures: Lambda retries
from the first failed record, bisects a failing batch, and after its retries sends the record's
position to the outbox DLQ. Each item is claimed before it is sent, so a redelivery sends nothing
twice (requests.outbox).
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.kernel.function_config import RequestOutboxConfig
from privacydesk.observability import logger, metrics
from privacydesk.requests.outbox_stream import handle_stream_record

CONFIG = RequestOutboxConfig.from_environment()  # at cold start: fails naming what is missing

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def record_handler(record: DynamoDBRecord) -> str:
    name = record.event_name.name if record.event_name else None
    return handle_stream_record(name, record.dynamodb.new_image if record.dynamodb else None)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
