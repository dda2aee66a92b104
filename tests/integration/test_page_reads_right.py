"""What a visitor reads on /privacy with every template parameter at its default (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from tests.support.harness import ADMIN_IDENTITY, Harness

pytestmark = pytest.mark.integration

SENDER_DEFAULT = "privacy@example.com"  # the SenderEmail parameter's default, where requests by email go


class _Sections(HTMLParser):
    """Text and mailto links under each <h2>, and each banner's paragraphs."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self.banners: list[list[str]] = []
        self._heading: str | None = None
        self._in_h2 = False
        self._in_banner = 0
        self._in_p = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "h2":
            self._in_h2, self._heading = True, ""
        if tag == "div" and "notice" in (values.get("class") or "").split():
            self._in_banner = 1
            self.banners.append([])
        elif tag == "div" and self._in_banner:
            self._in_banner += 1
        if tag == "p":
            self._in_p = True
            if self._in_banner:
                self.banners[-1].append("")
        if tag == "a" and (values.get("href") or "").startswith("mailto:") and self._heading is not None:
            self.sections.setdefault(self._heading, []).append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False
        if tag == "div" and self._in_banner:
            self._in_banner -= 1
        if tag == "p":
            self._in_p = False

    def handle_data(self, data: str) -> None:
        if self._in_h2 and self._heading is not None:
            self._heading += data
        if self._in_banner and self._in_p:
            self.banners[-1][-1] += data


def _page(stack: Harness) -> _Sections:
    reply = stack.http("GET", "/privacy")
    assert reply.status == 200
    parsed = _Sections()
    parsed.feed(reply.body)
    return parsed


def test_contact_us_gives_the_companys_address(stack: Harness):
    sections = _page(stack).sections
    contact = next(links for heading, links in sections.items() if heading.strip().endswith("Contact Us"))
    assert contact == [f"mailto:{SENDER_DEFAULT}"]


def test_the_seeded_banner_has_a_body():
    from privacydesk.policy.domain.policy import initial_policy

    _, notices = initial_policy()
    assert notices
    assert all(notice.body and notice.body.strip() for notice in notices)


def test_every_banner_has_a_body_under_its_title(stack: Harness):
    now = datetime.now(UTC)
    created = stack.http(
        "POST",
        "/v1/admin/notices",
        {
            "title": "Scheduled maintenance",
            "body": "The dashboard is read-only for an hour.",
            "severity": "info",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
        },
        identity=ADMIN_IDENTITY,
    )
    assert created.status == 201, created.body
    try:
        banners = _page(stack).banners
    finally:
        stack.http("DELETE", f"/v1/admin/notices/{created.json()['notice_id']}", identity=ADMIN_IDENTITY)
    assert banners
    for paragraphs in banners:  # a title-only banner shows no empty body paragraph
        title, *body = [p.strip() for p in paragraphs]
        assert title
        assert all(body)
    assert ["Scheduled maintenance", "The dashboard is read-only for an hour."] in [
        [p.strip() for p in paragraphs] for paragraphs in banners
    ]
