"""Admin route of an Access export: the DPO sends its requester a new download link."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.bootstrap import fresh_services
from privacydesk.fulfilment.adapters.export_grants import ExportGrants
from privacydesk.fulfilment.domain.export_reissue import reissue_export_link
from privacydesk.kernel.admin_http import signed_caller
from privacydesk.kernel.clock import utc_now
from privacydesk.requests.domain.api_model import AdminRequestView, EmptyBody

router = APIGatewayHttpRouter()


@router.post(
    "/v1/admin/requests/<request_id>/reissue-export",
    summary="Send an Access export's requester a new download link (the old one stops working)",
)
def reissue_export(request_id: str, body: EmptyBody | None = None) -> dict[str, Any]:
    request = reissue_export_link(
        request_id,
        actor=signed_caller(router.current_event),
        now=utc_now(),
        # Links point where this call came in, unless configured.
        services=fresh_services(router.current_event.request_context.domain_name),
        grants=ExportGrants(),
    )
    return AdminRequestView.of(request).model_dump(mode="json")
