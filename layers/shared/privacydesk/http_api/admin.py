"""The DPO's admin API (function `admin_api`, AWS_IAM auth): one resolver, a router per capability,
each included on the first request that needs it (`http/lazy_routers.py`)."""

from __future__ import annotations

from typing import Any

from privacydesk import __version__
from privacydesk.http_api.errors import install_error_handlers
from privacydesk.http_api.lazy_routers import LazyRoutersResolver
from privacydesk.kernel.snapshots import before_snapshot

app = LazyRoutersResolver(
    routers=(
        ("/v1/admin/requests/*/reissue-export", "privacydesk.fulfilment.entry.admin_exports"),
        ("/v1/admin/requests/*/processors*", "privacydesk.processors.entry.admin_routes"),
        ("/v1/admin/requests*", "privacydesk.requests.entry.admin_requests"),
        ("/v1/admin/policy/versions/*/deliveries", "privacydesk.change_notices.entry.admin_deliveries"),
        ("/v1/admin/policy/*", "privacydesk.policy.entry.admin_policy"),
        ("/v1/admin/notices*", "privacydesk.policy.entry.admin_policy"),
        ("/v1/admin/subjects/*", "privacydesk.subjects.entry.admin_subjects"),
        ("/v1/admin/reports/*", "privacydesk.reporting.entry.admin_reports"),
        ("/v1/admin/review*", "privacydesk.email_intake.entry.admin_review"),
        ("/v1/admin/tasks*", "privacydesk.fulfilment.entry.admin_tasks"),
    ),
    enable_validation=True,
)
install_error_handlers(app)


@app.get("/v1/admin/openapi.json", summary="The admin API's OpenAPI document", include_in_schema=False)
def admin_openapi_document() -> dict[str, Any]:
    from privacydesk.http_api import openapi

    app.include_all_routers()
    return openapi.document(app, title="PrivacyDesk admin API", version=__version__)


# With SnapStart, the snapshot holds every router, so a restored sandbox imports none on its first request.
before_snapshot(app.include_all_routers)
