"""The fulfilment queue's adapter: one SQS message (an EventBridge event) -> one fulfilment run.

The bus rule sends Request.Verified (when no approval is needed) and Request.Approved here.
A message that cannot be parsed raises, so after its retries it rests in the DLQ for a look.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from privacydesk.api.wiring import fresh_fulfilment_services
from privacydesk.clock import utc_now
from privacydesk.logic.fulfilment import fulfil
from privacydesk.models.base import Model
from privacydesk.models.events import SOURCE
from privacydesk.settings import get_settings


class _RequestDetail(Model):
    model_config = ConfigDict(extra="allow")
    request_id: str = Field(min_length=1, max_length=100)


class _Envelope(Model):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    source: str
    detail_type: str = Field(alias="detail-type")
    detail: _RequestDetail


def handle_message(body: str, *, attempt: int) -> dict[str, Any]:
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
