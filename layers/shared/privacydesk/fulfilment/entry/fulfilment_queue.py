"""The fulfilment queue's adapter: one SQS message (an EventBridge event) -> one fulfilment run.

The bus rule sends Request.Verified (when no approval is needed) and Request.Approved here.
A message that cannot be parsed raises, so after its retries it rests in the DLQ for a look.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field

from privacydesk.bootstrap import fresh_fulfilment_services
from privacydesk.kernel.base_model import Model
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.events import SOURCE
from privacydesk.kernel.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext


class _RequestDetail(Model):
    model_config = ConfigDict(extra="allow")
    request_id: str = Field(min_length=1, max_length=100)


class _Envelope(Model):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    source: str
    detail_type: str = Field(alias="detail-type")
    detail: _RequestDetail


def handle_message(body: str, *, attempt: int) -> dict[str, Any]:
    # Fulfilment's domain loads with the first message, not at init: a cold start's import stays at
    # the libraries' floor (bench/cold_start.py), and the first message pays for what it uses.
    from privacydesk.fulfilment.domain.fulfilment import fulfil

    envelope = _Envelope.model_validate_json(body)
    if envelope.source != SOURCE:
        raise ValueError(f"unexpected event source {envelope.source!r}")
    result = fulfil(
        envelope.detail.request_id,
        now=utc_now(),
        services=fresh_fulfilment_services(),
        attempt=attempt,
        max_attempts=get_settings().fulfilment_max_attempts,
    )
    return {
        "request_id": result.request_id,
        "action": result.action,
        "status": result.status.value if result.status else None,
    }


@cache
def _batches() -> BatchProcessor:
    """Powertools' batch processor, built on first use (its import is heavy: asyncio and every event
    class). Failed records are reported, never raised: Lambda then retries exactly those, even when
    all failed."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _record(record: SQSRecord) -> dict[str, Any]:
    return handle_message(record.body, attempt=int(record.attributes.approximate_receive_count or 1))


def handle_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return dict(process_partial_response(event=event, record_handler=_record, processor=_batches(), context=context))
