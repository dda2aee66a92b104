from datetime import UTC, datetime, timedelta

import pytest

from privacydesk.policy.domain.model import Notice, Severity
from privacydesk.policy.domain.policy import active_notices, initial_policy, sections_of

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_initial_policy_is_the_seed_of_2025_11_30():
    version, notices = initial_policy()
    assert version.version == "2025-11-30"
    assert version.last_updated.isoformat() == "2025-11-30"
    assert "within 30 days" in version.body_markdown
    assert "48 hours during business days" in version.body_markdown
    assert [n.title for n in notices] == ["Important Notice: SMS Fallback Route"]


def test_sections_split_at_numbered_headings():
    version, _ = initial_policy()
    headings = [s.heading for s in sections_of(version.body_markdown)]
    assert headings[0] == "Privacy Policy"
    assert headings[1:] == [
        "1. Introduction",
        "2. Information We Collect",
        "3. How We Use Your Information",
        "4. Sharing Your Information",
        "5. Data Security",
        "6. Your Rights",
        "7. Data Retention",
        "8. Changes to This Privacy Policy",
        "9. Contact Us",
    ]


def test_sub_headings_stay_inside_their_section():
    rights = next(s for s in sections_of(initial_policy()[0].body_markdown) if s.heading == "6. Your Rights")
    assert "### Access" in rights.markdown
    assert "### Object" in rights.markdown


def _notice(notice_id: str, starts: datetime, ends: datetime | None, severity: Severity = Severity.INFO) -> Notice:
    return Notice(notice_id=notice_id, title=notice_id, starts_at=starts, ends_at=ends, severity=severity)


def test_only_notices_inside_their_window_are_active():
    notices = [
        _notice("past", NOW - timedelta(days=9), NOW - timedelta(days=1)),
        _notice("future", NOW + timedelta(hours=1), None),
        _notice("open-ended", NOW - timedelta(days=1), None),
        _notice("ends-now", NOW - timedelta(days=1), NOW),
    ]
    assert [n.notice_id for n in active_notices(notices, NOW)] == ["open-ended"]


def test_active_notices_put_the_most_severe_first():
    notices = [
        _notice("info", NOW - timedelta(days=2), None, Severity.INFO),
        _notice("critical", NOW - timedelta(days=1), None, Severity.CRITICAL),
        _notice("important", NOW - timedelta(days=3), None, Severity.IMPORTANT),
    ]
    assert [n.notice_id for n in active_notices(notices, NOW)] == ["critical", "important", "info"]
