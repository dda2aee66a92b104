"""Admin routes for processor notices: each one's state, and the DPO recording a confirmation."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.bootstrap import fresh_services
from privacydesk.kernel.admin_http import signed_caller
from privacydesk.kernel.clock import utc_now
from privacydesk.processors.adapters.notice_store import ProcessorNoticeStore
from privacydesk.processors.domain import tracking
from privacydesk.requests.domain.api_model import NoteBody

router = APIGatewayHttpRouter()
ProcessorName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


@router.get("/v1/admin/requests/<request_id>/processors", summary="Each processor told of this request, and its state")
def list_processor_notices(request_id: str) -> dict[str, Any]:
    services = fresh_services()
    request = services.requests.require(request_id)
    sent = ProcessorNoticeStore().of_request(request_id)
    return {"request_id": request_id, "processors": tracking.notices_view(request, sent, utc_now())}


@router.post(
    "/v1/admin/requests/<request_id>/processors/<processor>/confirm",
    summary="Record that a processor confirmed the correction or erasure (audited)",
)
def confirm_processor_notice(request_id: str, processor: ProcessorName, body: NoteBody) -> dict[str, Any]:
    rows = tracking.confirm(
        request_id,
        processor,
        body.text,
        actor=signed_caller(router.current_event),
        now=utc_now(),
        services=fresh_services(),
        sent=ProcessorNoticeStore(),
    )
    return {"request_id": request_id, "processors": rows}
