"""Admin request routes: queue, detail with audit trail, and the DPO's actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.bootstrap import fresh_services, processors_told_on_manual_completion, request_services
from privacydesk.kernel.admin_http import decode_cursor, encode_cursor, signed_caller
from privacydesk.kernel.clock import utc_now
from privacydesk.requests.domain import dpo_actions as admin_actions
from privacydesk.requests.domain.api_model import (
    AdminQueueReply,
    AdminRequestView,
    CompleteBody,
    EmptyBody,
    ExtendBody,
    NoteBody,
    ReasonBody,
)
from privacydesk.requests.domain.audit_trail import verify_chain
from privacydesk.requests.domain.model import RequestStatus
from privacydesk.requests.domain.ports import RequestServices

router = APIGatewayHttpRouter()


def actor() -> str:
    return signed_caller(router.current_event)


@router.get("/v1/admin/requests", summary="The request queue, by status and due date")
def list_requests(
    status: Annotated[RequestStatus, Query()] = RequestStatus.VERIFIED,
    due_before: Annotated[datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AdminQueueReply:
    items, next_key = admin_actions.queue(status, due_before, limit, decode_cursor(cursor), request_services())
    return AdminQueueReply(items=[AdminRequestView.of(r).request for r in items], next_cursor=encode_cursor(next_key))


@router.get("/v1/admin/requests/<request_id>", summary="One request with its audit trail")
def get_request(request_id: str) -> dict[str, Any]:
    found = admin_actions.detail(request_id, request_services())
    view = AdminRequestView.of(found.request, [e.model_dump(mode="json") for e in found.audit])
    chain = verify_chain(request_id, found.audit)
    return {**view.model_dump(mode="json"), "audit_chain": chain.model_dump(mode="json")}


def _view(request: Any) -> dict[str, Any]:
    return AdminRequestView.of(request).model_dump(mode="json")


def _services() -> RequestServices:
    """Links in what the DPO's actions send point where this call came in, unless configured."""
    return fresh_services(router.current_event.request_context.domain_name)


@router.post("/v1/admin/requests/<request_id>/approve", summary="Approve a verified request for fulfilment")
def approve(request_id: str, body: EmptyBody | None = None) -> dict[str, Any]:
    return _view(admin_actions.approve(request_id, actor=actor(), now=utc_now(), services=_services()))


@router.post("/v1/admin/requests/<request_id>/deny", summary="Deny a request, with a reason")
def deny(request_id: str, body: ReasonBody) -> dict[str, Any]:
    return _view(admin_actions.deny(request_id, body.reason, actor=actor(), now=utc_now(), services=_services()))


@router.post("/v1/admin/requests/<request_id>/extend", summary="Extend the response deadline, with a reason")
def extend(request_id: str, body: ExtendBody) -> dict[str, Any]:
    return _view(
        admin_actions.extend(request_id, body.reason, body.days, actor=actor(), now=utc_now(), services=_services())
    )


@router.post("/v1/admin/requests/<request_id>/hold", summary="Put a request on hold, with a reason")
def hold(request_id: str, body: ReasonBody) -> dict[str, Any]:
    return _view(admin_actions.hold(request_id, body.reason, actor=actor(), now=utc_now(), services=_services()))


@router.post("/v1/admin/requests/<request_id>/acknowledge", summary="Acknowledge an inquiry")
def acknowledge(request_id: str, body: EmptyBody | None = None) -> dict[str, Any]:
    return _view(admin_actions.acknowledge(request_id, actor=actor(), now=utc_now(), services=_services()))


@router.post("/v1/admin/requests/<request_id>/complete", summary="Complete a request (answer an inquiry)")
def complete(request_id: str, body: CompleteBody) -> dict[str, Any]:
    services = _services()
    # An Update or Delete the DPO completes by hand is passed on to the processors, as fulfilment's is.
    told, notices = processors_told_on_manual_completion(services.requests.require(request_id))
    done = admin_actions.complete(
        request_id, body.message, actor=actor(), now=utc_now(), services=services, outcome=told, more=notices
    )
    return _view(done)


@router.post("/v1/admin/requests/<request_id>/note", summary="Add a note to the audit trail")
def note(request_id: str, body: NoteBody) -> dict[str, Any]:
    return _view(admin_actions.note(request_id, body.text, actor=actor(), now=utc_now(), services=_services()))
