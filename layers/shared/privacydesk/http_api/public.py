"""The public API and page (function `public_api`): one resolver, a router per capability, each
included on the first request that needs it (`http/lazy_routers.py`)."""

from __future__ import annotations

from typing import Any

from privacydesk import __version__
from privacydesk.bootstrap import current_policy_version
from privacydesk.http_api.errors import install_error_handlers
from privacydesk.http_api.lazy_routers import LazyRoutersResolver
from privacydesk.kernel.snapshots import before_snapshot
from privacydesk.policy.entry.policy_headers import PolicyHeaders

# The version comes from wiring's cache, the one every request is stamped from.
policy_headers = PolicyHeaders(current_version=current_policy_version, ttl_seconds=0)
app = LazyRoutersResolver(
    routers=(
        ("/v1/requests/*/export", "privacydesk.fulfilment.entry.export_routes"),
        ("/v1/requests*", "privacydesk.requests.entry.request_routes"),
        ("/v1/policy*", "privacydesk.policy.entry.policy_routes"),
        ("/v1/notices*", "privacydesk.policy.entry.policy_routes"),
        ("/privacy*", "privacydesk.http_api.pages"),
        ("/v1/connectors/*", "privacydesk.fulfilment.entry.connector_callbacks"),  # [issue 20]
        ("/v1/processor-notices/*", "privacydesk.processors.entry.callback_routes"),
    ),
    enable_validation=True,
)
app.use([policy_headers])  # every reply links the policy (RFC 6903) and names its version
install_error_handlers(app, decorate=policy_headers.add_to)


@app.get("/v1/health", summary="Liveness check")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@app.get("/v1/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi_document() -> dict[str, Any]:
    from privacydesk.http_api import openapi

    app.include_all_routers()
    return openapi.document(
        app,
        title="PrivacyDesk public API",
        version=__version__,
        description="Data-rights requests, the privacy policy and its notices.",
    )


# With SnapStart, the snapshot holds every router, so a restored sandbox imports none on its first request.
before_snapshot(app.include_all_routers)
