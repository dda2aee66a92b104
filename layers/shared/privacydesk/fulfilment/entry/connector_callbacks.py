"""POST /v1/connectors/<store>/callbacks (public API): a company service says that an operation it
accepted (202) has finished. Signed like every call of the webhook contract and verified against the
store's key ring (current or previous key) within a five-minute window; the Idempotency-Key must be
the step's own. A second callback for the same step is audited and changes nothing.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.bootstrap import fresh_services
from privacydesk.datamap.domain import model as datamap_model
from privacydesk.fulfilment.domain.pending_steps import StepOutcome, StepReplayed, resolve_step
from privacydesk.fulfilment.domain.webhook_signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    SignatureRejected,
    idempotency_key,
    verify,
)
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.errors import DomainError, InvalidInput, NotFound
from privacydesk.kernel.observability import logger

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # Powertools routers are untyped


class CallbackRefused(DomainError):
    code = "signature_invalid"
    status = 401


def _header(name: str) -> str | None:
    headers = router.current_event.headers or {}
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


def _raw_body() -> bytes:
    event = router.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()


@router.post("/v1/connectors/<store>/callbacks", summary="A company service reports an operation finished")
def callback(store: str) -> dict[str, Any]:
    from privacydesk.fulfilment.adapters.webhook_connector import key_ring, store_secret_id

    found = next((s for s in datamap_model.load_datamap().stores if s.name == store and s.kind == "webhook"), None)
    if found is None:
        raise NotFound("no webhook store of that name", code="store_not_found")
    now = utc_now()
    raw = _raw_body()
    try:
        verify(_header(SIGNATURE_HEADER), raw, key_ring(store_secret_id(found)), now_epoch=int(now.timestamp()))
    except SignatureRejected as error:
        logger.warning("callback refused", extra={"store": store, "code": error.code})
        raise CallbackRefused("the callback's signature does not verify", code=error.code) from error
    try:
        body = json.loads(raw)
        request_id, operation, status = str(body["request_id"]), str(body["operation"]), str(body["status"])
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidInput("request_id, operation and status are required", code="bad_callback") from error
    if status not in ("done", "failed"):
        raise InvalidInput("status is done or failed", code="bad_callback")
    if _header(IDEMPOTENCY_HEADER) != idempotency_key(request_id, store, operation):
        raise InvalidInput("Idempotency-Key is not this step's", code="idempotency_key_mismatch")
    try:
        reported = StepOutcome(
            store,
            status == "done",
            f"webhook:{store}",
            error=str(body.get("error", ""))[:300] or None,
            operation=operation,
        )
        resolve_step(fresh_services(), request_id, reported, now)
    except StepReplayed:
        return {"status": "already_recorded"}
    logger.info("callback recorded", extra={"store": store, "request_id": request_id, "succeeded": status == "done"})
    return {"status": "recorded"}
