"""Public route of an Access export: download it through the link in the completion email."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.fulfilment.domain import export_links
from privacydesk.kernel.clock import utc_now

router = APIGatewayHttpRouter()


# Powertools' OpenAPIResponseHeader type lacks "required", which OpenAPI allows (and the fuzzer checks).
REDIRECT_HEADERS: dict[str, Any] = {
    "Location": {"description": "The export's presigned URL", "required": True, "schema": {"type": "string"}},
    "Cache-Control": {"required": True, "schema": {"type": "string", "enum": ["no-store"]}},
}

ExportSecret = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The download secret from the completion email",
    ),
]


@router.get(
    "/v1/requests/<request_id>/export",
    summary="Download an Access export (the link in the completion email)",
    description="Checks the emailed secret and redirects to the export, signed for "
    f"{export_links.REDIRECT_SECONDS} seconds. A wrong or unknown secret is 404 export_not_found "
    "(and counts against the caller's address; after a few, 429 too_many_attempts for an hour), "
    "an expired link 410 export_expired.",
    responses={
        302: {
            "description": "Found: Location is the export, downloadable for a few minutes",
            "headers": REDIRECT_HEADERS,
            "content": {},
        }
    },
)
def export(request_id: str, token: ExportSecret) -> Response[None]:
    from privacydesk.fulfilment.adapters.export_grants import ExportGrants
    from privacydesk.kernel.object_store import S3ObjectStore
    from privacydesk.requests.adapters.abuse_limits import AbuseCounters

    location = export_links.open_export(
        request_id,
        token,
        now=utc_now(),
        grants=ExportGrants(),
        signer=S3ObjectStore(),
        source=router.current_event.request_context.http.source_ip,
        limits=AbuseCounters(),
    )
    return Response(
        status_code=302,
        headers={"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        body=None,
    )
