"""The public page (server-rendered, readable without JavaScript) and the policy headers on every reply."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from tests.support.harness import ADMIN_IDENTITY, Harness

pytestmark = pytest.mark.integration

POLICY_LINK = '<http://127.0.0.1:3000/v1/policy>; rel="privacy-policy"'


class _Text(HTMLParser):
    """The text a reader without JavaScript sees (scripts skipped)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a":
            self.links.extend(v for k, v in attrs if k == "href" and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.parts))


def _read(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/v1/policy", ""),
        ("GET", "/v1/health", ""),
        ("GET", "/v1/notices", ""),
        ("GET", "/v1/policy/versions", ""),
        ("GET", "/v1/no-such-route", ""),
        ("GET", "/v1/policy/versions/1999-01-01", ""),
        ("GET", "/v1/policy/diff", ""),
        ("GET", "/privacy", ""),
    ],
)
def test_every_public_reply_links_the_policy_and_names_its_version(stack: Harness, method: str, path: str, query: str):
    reply = stack.http(method, path, query=query)
    assert reply.headers["link"] == POLICY_LINK
    assert reply.headers["x-privacy-policy-version"] == "2025-11-30"


def test_policy_page_shows_the_policy_its_last_updated_date_and_the_notice_without_javascript(stack: Harness):
    reply = stack.http("GET", "/privacy")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    page = _read(reply.body)
    assert "Last Updated: November 30, 2025" in page.text
    assert "Important Notice: SMS Fallback Route" in page.text
    assert "6. Your Rights" in page.text
    assert "We will respond to your request within 30 days." in page.text
    assert "/privacy/versions/2025-11-30" in page.links


def test_policy_page_links_earlier_versions_and_announces_upcoming_ones(stack: Harness):
    earlier = f"2025-06-01.{uuid.uuid4().hex[:6]}"
    upcoming = f"2099-10-01.{uuid.uuid4().hex[:6]}"
    for version, effective, summary in (
        (earlier, datetime(2025, 6, 1, tzinfo=UTC), "The first policy."),
        (upcoming, datetime(2099, 10, 1, tzinfo=UTC), "A clearer retention section."),
    ):
        draft = {
            "version": version,
            "last_updated": effective.date().isoformat(),
            "effective_at": effective.isoformat(),
            "significant": False,
            "summary": summary,
            "body": "# Privacy Policy\n\n## 1. Introduction\n\nAn older text.\n",
        }
        assert stack.http("POST", "/v1/admin/policy/versions", draft, identity=ADMIN_IDENTITY).status == 201

    page = _read(stack.http("GET", "/privacy").body)
    assert f"/privacy/versions/{earlier}" in page.links
    assert "An updated policy takes effect on" in page.text
    assert "A clearer retention section." in page.text
    assert f"/privacy/versions/{upcoming}" in page.links
    assert "Last Updated: November 30, 2025" in page.text  # the one in force is still shown

    old = stack.http("GET", f"/privacy/versions/{earlier}")
    assert old.status == 200
    old_page = _read(old.body)
    assert "This is an earlier version" in old_page.text
    assert "Last Updated: June 1, 2025" in old_page.text
    assert "An older text." in old_page.text


def test_version_page_shows_what_changed_from_the_previous_version(stack: Harness):
    # Two versions in a slot of their own, so that the first is the second's predecessor.
    first_at = datetime(2200, 1, 1, tzinfo=UTC) + timedelta(minutes=uuid.uuid4().int % 10_000_000)
    body = stack.http("GET", "/v1/policy").json()["body_markdown"]
    versions = []
    for n, (at, text) in enumerate(
        ((first_at, body), (first_at + timedelta(seconds=1), body.replace("30 days", "20 days")))
    ):
        version = f"{at:%Y-%m-%d}.{uuid.uuid4().hex[:6]}.{n}"
        draft = {
            "version": version,
            "last_updated": at.date().isoformat(),
            "effective_at": at.isoformat(),
            "significant": True,
            "summary": "Faster answers.",
            "body": text,
        }
        assert stack.http("POST", "/v1/admin/policy/versions", draft, identity=ADMIN_IDENTITY).status == 201
        versions.append(version)
    page = _read(stack.http("GET", f"/privacy/versions/{versions[1]}").body)
    assert f"Changes from the version of {versions[0]}" in page.text
    assert "6. Your Rights (changed)" in page.text
    assert "+To exercise any of these rights" in page.text
    assert "1. Introduction (changed)" not in page.text


def test_page_escapes_what_the_policy_and_notices_carry(stack: Harness):
    now = datetime.now(UTC)
    notice = {
        "title": "<script>alert('notice')</script>",
        "body": '<img src=x onerror="alert(1)">',
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }
    created = stack.http("POST", "/v1/admin/notices", notice, identity=ADMIN_IDENTITY)
    assert created.status == 201
    try:
        html = stack.http("GET", "/privacy").body
        assert "<script>alert('notice')</script>" not in html
        assert "&lt;script&gt;alert(&#x27;notice&#x27;)&lt;/script&gt;" in html
        assert '<img src=x onerror="alert(1)">' not in html
    finally:
        stack.http("DELETE", f"/v1/admin/notices/{created.json()['notice_id']}", identity=ADMIN_IDENTITY)


def test_page_has_a_labelled_request_form_for_every_right(stack: Harness):
    html = stack.http("GET", "/privacy").body
    for kind in ("access", "update", "delete", "object", "inquiry"):
        assert f'<input type="radio" id="type-{kind}" name="type" value="{kind}"' in html
        assert f'<label for="type-{kind}">' in html
    for field in ("request-email", "request-phone", "request-name", "request-details"):
        assert f'<label for="{field}">' in html
    assert 'role="status"' in html


def test_verification_page_never_verifies_on_get(stack: Harness):
    reply = stack.http("GET", "/privacy/verify", query="request=req-123&token=tok%22%3E%3Cscript%3E")
    assert reply.status == 200
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["referrer-policy"] == "no-referrer"
    assert 'data-request="req-123"' in reply.body
    assert 'data-token="tok&quot;&gt;&lt;script&gt;"' in reply.body
    assert '<button type="submit">Confirm my request</button>' in reply.body


def test_status_page_asks_for_the_request_id_and_status_code(stack: Harness):
    page = stack.http("GET", "/privacy/status", query="request=req-9")
    assert page.status == 200
    assert 'value="req-9"' in page.body
    assert '<label for="status-token">Status code</label>' in page.body


def test_unknown_version_page_is_an_html_404(stack: Harness):
    reply = stack.http("GET", "/privacy/versions/<script>")
    assert reply.status == 404
    assert "<script>" not in reply.body.split("<body>", 1)[1]


def test_stylesheet_and_script_are_served_and_nothing_else(stack: Harness):
    css = stack.http("GET", "/privacy/static/privacy.css")
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    assert stack.http("GET", "/privacy/static/privacy.js").headers["content-type"].startswith("text/javascript")
    assert stack.http("GET", "/privacy/static/..%2F..%2Fsettings.py").status == 404
