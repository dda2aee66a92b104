"""The DPO's admin API (function `admin_api`, AWS_IAM auth): one resolver, a router per capability,
each included on the first request that needs it (`api/lazy_routers.py`)."""

from __future__ import annotations

from typing import Any

from privacydesk import __version__
from privacydesk.api.errors import install_error_handlers
from privacydesk.api.lazy_routers import LazyRoutersResolver

_API = "privacydesk.api"
app = LazyRoutersResolver(
    routers=(
        ("/v1/admin/requests/*/processors*", "privacydesk.processors.entry.admin_routes"),
        ("/v1/admin/requests*", f"{_API}.admin_requests"),
        ("/v1/admin/policy/versions/*/deliveries", f"{_API}.admin_notices"),
        ("/v1/admin/policy/*", f"{_API}.admin_policy"),
        ("/v1/admin/notices*", f"{_API}.admin_policy"),
        ("/v1/admin/subjects/*", f"{_API}.admin_subjects"),
        ("/v1/admin/reports/*", f"{_API}.admin_reports"),
        ("/v1/admin/review*", f"{_API}.admin_review"),
    ),
    enable_validation=True,
)
install_error_handlers(app)


@app.get("/v1/admin/openapi.json", summary="The admin API's OpenAPI document", include_in_schema=False)
def admin_openapi_document() -> dict[str, Any]:
    from privacydesk.api import openapi

    app.include_all_routers()
    return openapi.document(app, title="PrivacyDesk admin API", version=__version__)
