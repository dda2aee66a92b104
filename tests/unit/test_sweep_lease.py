"""The sweep's lease, as logic sees it: who may sweep, and that the lease is always given back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privacydesk.retention.domain import retention_sweep

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 1, 18, 30, tzinfo=UTC)


class FakeLease:
    def __init__(self, free: bool) -> None:
        self.free = free
        self.taken_until: datetime | None = None
        self.released_by: list[str] = []

    def acquire(self, holder: str, now: datetime, until: datetime) -> bool:
        self.taken_until = until if self.free else None
        return self.free

    def release(self, holder: str, now: datetime) -> None:
        self.released_by.append(holder)


def _report() -> retention_sweep.SweepReport:
    return retention_sweep.SweepReport(started_at=NOW, stores=[], run_started=NOW)


def test_a_held_lease_means_nothing_runs_and_the_report_says_skipped_not_complete():
    ran: list[bool] = []
    lease = FakeLease(free=False)
    report = retention_sweep.sweep_exclusively(lease, "me", NOW, lambda: ran.append(True) or _report())
    assert ran == []
    assert report.skipped
    assert not report.complete
    assert lease.released_by == []  # never ours: nothing to give back


def test_the_lease_outlives_the_functions_timeout_so_only_a_dead_holder_loses_it():
    lease = FakeLease(free=True)
    retention_sweep.sweep_exclusively(lease, "me", NOW, _report)
    assert lease.taken_until == NOW + timedelta(seconds=retention_sweep.LEASE_SECONDS)
    assert retention_sweep.LEASE_SECONDS > 900


def test_a_sweep_that_fails_still_gives_the_lease_back():
    lease = FakeLease(free=True)

    def failing() -> retention_sweep.SweepReport:
        raise RuntimeError("DynamoDB unavailable")

    with pytest.raises(RuntimeError):
        retention_sweep.sweep_exclusively(lease, "me", NOW, failing)
    assert lease.released_by == ["me"]
