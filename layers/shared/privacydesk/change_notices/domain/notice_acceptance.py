"""Continued use means acceptance: once a significant version is in effect, each notified account
that used the API after the effective date is recorded on its ledger entry as having accepted it,
with the time of that first use as the evidence.

Runs daily; a version is looked at for ACCEPTANCE_WINDOW_DAYS after it takes effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from privacydesk.change_notices.domain.model import DeliveryEntry, DeliveryStatus, DispatchRun, DispatchState
from privacydesk.policy.domain.model import PolicyVersion

ACCEPTANCE_WINDOW_DAYS = 90
NOTIFIED = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.COMPLAINED)


class VersionCatalog(Protocol):
    def versions(self) -> list[PolicyVersion]: ...


class AcceptanceLedger(Protocol):
    def get_run(self, version: str) -> DispatchRun | None: ...
    def entries(self, version: str) -> Iterator[DeliveryEntry]: ...
    def record_acceptance(self, version: str, account_id: str, at: datetime) -> bool: ...
    def mark_acceptance_recorded(self, version: str, now: datetime) -> None: ...


class UsageSource(Protocol):
    def first_use_since(self, account_id: str, since: datetime) -> datetime | None: ...


@dataclass(frozen=True)
class AcceptanceReport:
    version: str
    notified: int
    accepted_now: int


def record_acceptances(
    now: datetime, *, catalog: VersionCatalog, ledger: AcceptanceLedger, usage: UsageSource
) -> list[AcceptanceReport]:
    reports: list[AcceptanceReport] = []
    for version in catalog.versions():
        in_window = version.effective_at <= now < version.effective_at + timedelta(days=ACCEPTANCE_WINDOW_DAYS)
        if not (version.significant and in_window):
            continue
        run = ledger.get_run(version.version)
        if run is None or run.state != DispatchState.COMPLETED:
            continue
        notified = accepted = 0
        for entry in ledger.entries(version.version):
            if entry.status not in NOTIFIED:
                continue
            notified += 1
            if entry.accepted_at is not None:
                continue
            used_at = usage.first_use_since(entry.account_id, version.effective_at)
            if used_at is not None and ledger.record_acceptance(version.version, entry.account_id, used_at):
                accepted += 1
        ledger.mark_acceptance_recorded(version.version, now)
        reports.append(AcceptanceReport(version.version, notified, accepted))
    return reports
