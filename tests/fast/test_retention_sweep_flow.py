"""The retention sweep on in-memory stores: what outlived its retention is gone (or names no one),
what a legal hold protects stays, and a second run finds nothing to do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from privacydesk.datamap.domain import retention_schedule as retention
from privacydesk.retention.domain import retention_sweep
from privacydesk.retention.domain.retention_sweep import Budget, SweepReport
from tests.support.fakes import FakeDesk, expiry_bucket

pytestmark = pytest.mark.fast


def _due(desk: FakeDesk, days_ago: int) -> dict[str, object]:
    """The TTL and by_expiry partition an item past its retention carries (as the adapters stamp it)."""
    due = desk.now - timedelta(days=days_ago)
    return {"expires_at": int(due.timestamp()), "expiry_bucket": expiry_bucket(retention.index_day(due, due))}


def _live(desk: FakeDesk) -> dict[str, object]:
    later = desk.now + timedelta(days=30)
    return {"expires_at": int(later.timestamp()), "expiry_bucket": expiry_bucket(later.date())}


def _sweep(desk: FakeDesk) -> SweepReport:
    def run() -> SweepReport:
        return retention_sweep.sweep(
            datamap=desk.datamap,
            rules=retention.schedule(desk.datamap),
            now=desk.now,
            ports=desk.sweep_ports,
            budget=Budget(remaining_ms=lambda: 900_000),
            shards=1,
            lookback_days=7,
        )

    return retention_sweep.sweep_exclusively(desk.lease, "sweeper", desk.now, run)


def test_technical_events_past_their_retention_are_deleted_and_live_ones_stay():
    desk = FakeDesk()
    events = desk.stores["technical_events"]
    events.put(account_id="acct-1", event_id="old", ip_address="198.51.100.7", at="2026-08-01", **_due(desk, 2))
    events.put(account_id="acct-1", event_id="new", ip_address="198.51.100.7", at="2026-11-29", **_live(desk))
    report = _sweep(desk)
    assert [item["event_id"] for item in events.items] == ["new"]
    assert report.complete


def test_message_logs_past_their_retention_are_kept_only_as_rows_that_name_no_one():
    desk = FakeDesk()
    logs = desk.stores["message_logs"]
    logs.put(
        account_id="acct-1",
        message_id="m-1",
        recipient="+639998887777",
        sender_id="FASTCO",
        body="hello",
        status="delivered",
        sent_at="2026-05-01T10:00:00Z",
        route="globe",
        **_due(desk, 1),
    )
    _sweep(desk)
    [kept] = logs.items
    assert kept["status"] == "delivered"
    assert not {"recipient", "body", "sender_id", "expires_at"} & kept.keys()
    assert kept["account_id"] != "acct-1"


def test_an_account_under_legal_hold_keeps_its_expired_rows_and_the_report_names_it():
    desk = FakeDesk()
    desk.holds.reasons["acct-held"] = "litigation"
    events = desk.stores["technical_events"]
    events.put(account_id="acct-held", event_id="e-1", ip_address="198.51.100.7", at="2026-08-01", **_due(desk, 2))
    report = _sweep(desk)
    assert len(events.items) == 1
    assert "expires_at" not in events.items[0]  # the hold wins over the TTL too
    [store_report] = [s for s in report.stores if s.store == "technical_events"]
    assert store_report.held_accounts == ["acct-held"]


def test_a_closed_accounts_sender_id_documents_go_with_it():
    desk = FakeDesk()
    desk.stores["accounts"].put(
        account_id="acct-closed", email="gone@example.org", closed_at="2025-01-01", **_due(desk, 1)
    )
    desk.stores["account_documents"].put(account_id="acct-closed", file_name="permit.pdf", body=b"%PDF")
    _sweep(desk)
    assert desk.stores["accounts"].items == []
    assert desk.stores["account_documents"].items == []


def test_a_second_sweep_the_same_day_finds_nothing_left_to_remove():
    desk = FakeDesk()
    events = desk.stores["technical_events"]
    events.put(account_id="acct-1", event_id="old", ip_address="198.51.100.7", at="2026-08-01", **_due(desk, 2))
    _sweep(desk)
    again = _sweep(desk)
    assert sum(s.deleted for s in again.stores) == 0


def test_a_sweep_while_another_holds_the_lease_does_nothing():
    desk = FakeDesk()
    events = desk.stores["technical_events"]
    events.put(account_id="acct-1", event_id="old", ip_address="198.51.100.7", at="2026-08-01", **_due(desk, 2))
    assert desk.lease.acquire("other", desk.now, desk.now + timedelta(minutes=15))
    report = _sweep(desk)
    assert report.skipped
    assert len(events.items) == 1
