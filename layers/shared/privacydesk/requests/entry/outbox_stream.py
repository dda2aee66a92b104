"""The outbox table's stream adapter: one inserted outbox item -> one delivery (requests.outbox).

Only INSERT records carry work (the event source filters on them too); the claim and delivered
marks are MODIFY records of the same table and are ignored here.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.bootstrap import outbox_ports
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.observability import logger
from privacydesk.requests.domain.outbox import deliver


def handle_stream_record(
    event_name: str | None, new_image: dict[str, Any] | None
) -> Literal["delivered", "already_delivered", "ignored"]:
    if event_name != "INSERT" or not new_image:
        return "ignored"
    from privacydesk.requests.adapters.outbox_store import item_of_image

    item = item_of_image(new_image)
    outcome = deliver(item, now=utc_now(), ports=outbox_ports())
    logger.info(
        "outbox item handled",
        extra={"outbox_id": item.outbox_id, "kind": item.kind, "notice": item.notice, "outcome": outcome},
    )
    return outcome


# A failing record is reported (ReportBatchItemFailures): Lambda retries from it, bisects a failing
# batch, and after its retries sends the record's position to the outbox DLQ.
_batches = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def _record(record: DynamoDBRecord) -> str:
    name = record.event_name.name if record.event_name else None
    return handle_stream_record(name, record.dynamodb.new_image if record.dynamodb else None)


def handle_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=_record, processor=_batches, context=context))
