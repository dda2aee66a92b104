"""Routes of the public API and page (function `public_api`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from privacydesk import __version__
from privacydesk.api.errors import install_error_handlers
from privacydesk.clock import utc_now
from privacydesk.dal.policy_store import PolicyRepository
from privacydesk.logic import policy
from privacydesk.models.policy import PolicyView

app = APIGatewayHttpResolver(enable_validation=True)
install_error_handlers(app)

policies = PolicyRepository()


@app.get("/v1/health", summary="Liveness check")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@app.get("/v1/policy", summary="The privacy policy in force, with its active notices")
def get_policy() -> PolicyView:
    return policy.current_policy(policies, utc_now())


@app.get("/v1/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi_document() -> dict[str, Any]:
    import json

    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title="PrivacyDesk public API",
            version=__version__,
            description="Data-rights requests, the privacy policy and its notices.",
        )
    )
    return document
