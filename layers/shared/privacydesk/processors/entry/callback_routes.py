"""A webhook processor confirms a notice itself: a POST signed with the key its notices are
signed with (`PrivacyDesk-Signature`, see `processors.adapters.webhook`), recorded in the request's
audit trail with the processor as the actor. Nothing is looked up before the signature holds, so
an unsigned caller learns nothing about which requests or processors exist."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ConfigDict, Field

from privacydesk.bootstrap import fresh_services
from privacydesk.kernel.base_model import Model
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.errors import DomainError
from privacydesk.kernel.observability import logger
from privacydesk.processors.adapters.notice_store import ProcessorNoticeStore
from privacydesk.processors.adapters.webhook import SIGNATURE_HEADER, signing_keys, verify
from privacydesk.processors.domain import model as processor_model
from privacydesk.processors.domain import tracking

router = APIGatewayHttpRouter()
REFERENCE = r"^req_[0-9a-f]{32}/[a-z][a-z0-9_]{1,39}$"


class InvalidSignature(DomainError):
    code = "invalid_signature"
    status = 401


class ConfirmationBody(Model):
    model_config = ConfigDict(extra="forbid")

    reference: Annotated[str, Field(pattern=REFERENCE)]
    note: Annotated[str, Field(max_length=500)] = ""


@router.post(
    "/v1/processor-notices/confirmations",
    summary="A webhook processor confirms a correction or erasure notice (signed with its key)",
)
def confirm_by_processor(body: ConfirmationBody) -> dict[str, Any]:
    request_id, name = body.reference.split("/", 1)
    # read through the module, as fulfilment does, so the route and the notices see one processor map
    processor = processor_model.load_processors().processor(name)
    refused = InvalidSignature("the signature does not match", code="invalid_signature")
    if processor is None or processor.notify.kind != "webhook":
        raise refused
    raw = router.current_event.decoded_body or ""
    try:
        keys = signing_keys(processor.notify.secret_id)
    except Exception as error:  # a missing or unreadable key refuses, never a 5xx
        logger.warning("processor key unavailable", extra={"processor": name, "error": type(error).__name__})
        raise refused from error
    header = router.current_event.headers.get(SIGNATURE_HEADER.lower(), "")
    if not verify(keys, header, raw.encode(), utc_now()):
        raise refused
    rows = tracking.confirm(
        request_id,
        name,
        body.note,
        actor=f"processor:{name} (signed callback)",
        now=utc_now(),
        services=fresh_services(),
        sent=ProcessorNoticeStore(),
    )
    row = next(r for r in rows if r["processor"] == name)
    return {"reference": body.reference, "status": row["status"], "confirmed_at": row["confirmed_at"]}
