"""Every email gives its dates in one time zone, Asia/Manila, and says so (issue 15)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privacydesk.change_notices.domain.notice_email import render_notice
from privacydesk.policy.domain.model import PolicyVersion
from privacydesk.requests.domain.notifications import manila_date, manila_time

pytestmark = pytest.mark.unit

# 16:30 UTC on 31 January is 00:30 on 1 February in Manila: the day differs between the zones.
LATE_EVENING_UTC = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)


def test_a_moment_is_given_in_manila_time_with_the_zone_named():
    assert manila_time(LATE_EVENING_UTC) == "01 February 2026, 00:30 (Manila time)"
    assert manila_date(LATE_EVENING_UTC) == "01 February 2026"


def test_the_policy_change_notice_gives_the_effective_moment_in_manila_time():
    version = PolicyVersion(
        version="2026-02-01",
        title="Privacy Policy",
        last_updated=date(2026, 1, 2),
        effective_at=LATE_EVENING_UTC,
        significant=True,
        summary="A new sub-processor.",
        body_markdown="# Privacy Policy",
    )
    subject, text, html, _headers = render_notice(version, "acct-1", "https://privacy.example.com")

    assert subject == "Changes to our Privacy Policy (effective 01 February 2026)"
    assert "01 February 2026, 00:30 (Manila time)" in text
    assert "01 February 2026, 00:30 (Manila time)" in html
    assert "UTC" not in text
