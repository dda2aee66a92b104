"""Pure parts of the significant-change emails: the token bucket, the notice text, the progress counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from privacydesk.change_notices.domain.model import DeliveryEntry, DeliveryStatus, DispatchRun, DispatchState
from privacydesk.change_notices.domain.notice_email import notice_email
from privacydesk.change_notices.domain.notice_progress import summarize
from privacydesk.kernel.token_bucket import BucketState, take
from privacydesk.policy.domain.model import PolicyVersion

pytestmark = pytest.mark.unit
NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def test_a_new_bucket_grants_one_seconds_worth_then_refuses():
    first = take(None, 20, rate=10, capacity=10, now=NOW)
    assert first.granted == 10
    refused = take(first.state, 1, rate=10, capacity=10, now=NOW)
    assert refused.granted == 0
    assert refused.wait_seconds == pytest.approx(0.1)


def test_bucket_refills_at_the_rate_up_to_its_capacity():
    empty = BucketState(tokens=0, updated_at=NOW)
    assert take(empty, 10, rate=4, capacity=4, now=NOW + timedelta(seconds=0.5)).granted == 2
    assert take(empty, 10, rate=4, capacity=4, now=NOW + timedelta(hours=1)).granted == 4


def test_a_clock_stepping_back_adds_no_tokens():
    empty = BucketState(tokens=0, updated_at=NOW)
    assert take(empty, 1, rate=4, capacity=4, now=NOW - timedelta(seconds=30)).granted == 0


def _version(**changes) -> PolicyVersion:
    values = {
        "version": "2026-02-01",
        "title": "Privacy Policy",
        "last_updated": date(2026, 1, 2),
        "effective_at": datetime(2026, 2, 1, tzinfo=UTC),
        "significant": True,
        "summary": "We add <a new> sub-processor.",
        "body_markdown": "# Privacy Policy",
    }
    return PolicyVersion(**{**values, **changes})


def test_notice_carries_version_dates_summary_and_link_in_text_and_html():
    mail = notice_email(_version(), "acct-1", "ana@example.com", "https://privacy.example.com/", "notices")
    assert mail.to == "ana@example.com"
    assert mail.configuration_set == "notices"
    for fragment in (
        "2026-02-01",
        "Last Updated: 02 January 2026",
        "01 February 2026",
        "https://privacy.example.com/privacy",
    ):
        assert fragment in mail.text
    assert "We add <a new> sub-processor." in mail.text
    assert mail.html is not None
    assert "&lt;a new&gt;" in mail.html  # the summary is escaped in HTML
    assert "href='https://privacy.example.com/privacy'" in mail.html
    assert mail.headers["X-PrivacyDesk-Account"] == "acct-1"
    assert "List-Unsubscribe" not in mail.headers


def _entry(status: DeliveryStatus, **extra) -> DeliveryEntry:
    return DeliveryEntry(version="v", account_id=f"acct-{status}-{len(extra)}", status=status, **extra)


def test_progress_counts_each_outcome_and_what_is_still_awaited():
    run = DispatchRun(
        version="v", state=DispatchState.COMPLETED, started_at=NOW, effective_at=NOW, queued=10, completed_at=NOW
    )
    entries = [
        _entry(DeliveryStatus.SENT),
        _entry(DeliveryStatus.DELIVERED, accepted_at=NOW),
        _entry(DeliveryStatus.BOUNCED),
        _entry(DeliveryStatus.COMPLAINED),
        _entry(DeliveryStatus.SUPPRESSED),
        _entry(DeliveryStatus.SKIPPED),
        _entry(DeliveryStatus.FAILED),
        _entry(DeliveryStatus.CLAIMED, claimed_at=NOW - timedelta(hours=1)),  # never confirmed
        _entry(DeliveryStatus.CLAIMED, claimed_at=NOW - timedelta(seconds=5)),  # being sent now
    ]
    counts = summarize("v", run, entries, NOW).counts
    assert counts.queued == 10
    assert (counts.sent, counts.delivered, counts.bounced, counts.complained) == (4, 1, 1, 1)
    assert (counts.suppressed, counts.skipped) == (1, 1)
    assert (counts.failed, counts.unknown) == (2, 1)
    assert counts.awaiting == 1 + 1  # one queued without an entry, one in flight
    assert counts.accepted == 1
