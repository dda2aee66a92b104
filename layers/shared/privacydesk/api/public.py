"""The public API and page (function `public_api`): one resolver, routes grouped by capability."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from privacydesk import __version__
from privacydesk.api import openapi, pages, policy_routes, request_routes
from privacydesk.api.errors import install_error_handlers
from privacydesk.api.policy_headers import PolicyHeaders

policy_headers = PolicyHeaders()
app = APIGatewayHttpResolver(enable_validation=True)
app.use([policy_headers])  # every reply links the policy (RFC 6903) and names its version
install_error_handlers(app, decorate=policy_headers.add_to)
app.include_router(policy_routes.router)
app.include_router(request_routes.router)
app.include_router(pages.router)


@app.get("/v1/health", summary="Liveness check")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@app.get("/v1/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi_document() -> dict[str, Any]:
    return openapi.document(
        app,
        title="PrivacyDesk public API",
        version=__version__,
        description="Data-rights requests, the privacy policy and its notices.",
    )
