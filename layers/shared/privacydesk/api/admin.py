"""The DPO's admin API (function `admin_api`, AWS_IAM auth): one resolver, routes by capability."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from privacydesk import __version__
from privacydesk.api import (
    admin_notices,
    admin_policy,
    admin_reports,
    admin_requests,
    admin_review,
    admin_subjects,
    openapi,
)
from privacydesk.api.errors import install_error_handlers

app = APIGatewayHttpResolver(enable_validation=True)
install_error_handlers(app)
app.include_router(admin_requests.router)
app.include_router(admin_policy.router)
app.include_router(admin_subjects.router)
app.include_router(admin_reports.router)
app.include_router(admin_review.router)
app.include_router(admin_notices.router)


@app.get("/v1/admin/openapi.json", summary="The admin API's OpenAPI document", include_in_schema=False)
def admin_openapi_document() -> dict[str, Any]:
    return openapi.document(app, title="PrivacyDesk admin API", version=__version__)
