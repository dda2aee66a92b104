"""The public privacy page (HTML, no build step): /privacy, earlier versions, verification and status pages."""

from __future__ import annotations

from importlib import resources
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.http_api import page_html
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.errors import NotFound
from privacydesk.kernel.settings import get_settings
from privacydesk.policy.adapters.policy_store import PolicyRepository
from privacydesk.policy.domain import policy

router = APIGatewayHttpRouter()
policies = PolicyRepository()

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # The verification link carries a token in its query string: never send it on as a referrer.
    "Referrer-Policy": "no-referrer",
}
STATIC_FILES = {"privacy.css": "text/css; charset=utf-8", "privacy.js": "text/javascript; charset=utf-8"}


def _html(body: str, *, status: int = 200, cache: str = "public, max-age=60") -> Response[Any]:
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=body,
        headers={**SECURITY_HEADERS, "Cache-Control": cache},
    )


@router.get("/privacy", summary="The privacy policy page", include_in_schema=False)
def privacy_page() -> Response[Any]:
    now = utc_now()
    view = policy.current_policy(policies, now)
    return _html(
        page_html.policy_page(
            title=view.title,
            version=view.version,
            last_updated=view.last_updated,
            body_markdown=view.body_markdown,
            notices=view.notices,
            versions=policy.list_versions(policies, now),
            sender_email=get_settings().sender_email,
            contact_email=get_settings().company_contact_email,
        )
    )


@router.get("/privacy/versions/<version>", summary="One version of the policy", include_in_schema=False)
def version_page(version: str) -> Response[Any]:
    now = utc_now()
    try:
        detail = policy.version_detail(policies, version, now)
    except NotFound:
        return _html(page_html.not_found_page("There is no policy version with that id."), status=404)
    previous = policy.previous_version(policies, version)
    changes = policy.diff_versions(policies, previous, version, now) if previous else None
    return _html(
        page_html.version_page(
            summary=detail,
            body_markdown=detail.body_markdown,
            notices=policy.current_notices(policies, now),
            versions=policy.list_versions(policies, now),
            changes=changes,
            contact_email=get_settings().company_contact_email,
        )
    )


@router.get(
    "/privacy/verify", summary="Confirm a request (the link in the verification email)", include_in_schema=False
)
def verify_page() -> Response[Any]:
    # GET only shows a button: mail scanners prefetch links, so verifying needs a POST from the page.
    query = router.current_event.query_string_parameters or {}
    return _html(page_html.verify_page(query.get("request", ""), query.get("token", "")), cache="no-store")


@router.get("/privacy/status", summary="Check a request's status", include_in_schema=False)
def status_page() -> Response[Any]:
    query = router.current_event.query_string_parameters or {}
    return _html(page_html.status_page(query.get("request", "")), cache="no-store")


@router.get("/privacy/static/<name>", summary="The page's stylesheet and script", include_in_schema=False)
def static_file(name: str) -> Response[Any]:
    content_type = STATIC_FILES.get(name)
    if content_type is None:
        return _html(page_html.not_found_page("No such file."), status=404)
    text = (resources.files("privacydesk") / "data" / "web" / name).read_text(encoding="utf-8")
    return Response(
        status_code=200,
        content_type=content_type,
        body=text,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300"},
    )
