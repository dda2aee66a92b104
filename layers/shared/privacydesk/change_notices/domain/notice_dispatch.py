"""Fan-out of a significant policy change: page through every account and queue the recipients.

Resumable: after each fully queued page the run item records the scan's last key (the
checkpoint). Near its timeout the dispatcher hands the run over and re-emits itself through the
bus; the continuation resumes from the checkpoint. A page queued but not yet checkpointed (a
crash in between) is queued again on resume; the delivery ledger makes that harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from privacydesk.change_notices.domain.model import (
    MAX_ACCOUNTS_PER_MESSAGE,
    DispatchRun,
    NoticeDispatchContinued,
    RecipientBatch,
)
from privacydesk.kernel.ports import EventPublisher

PAGE_SIZE = 200
SAFETY_SECONDS = 20.0  # time kept in hand to checkpoint, hand over and re-emit
CLOSED = "closed"


@dataclass(frozen=True)
class AccountRef:
    account_id: str
    status: str


@dataclass(frozen=True)
class AccountPage:
    accounts: list[AccountRef]
    next_key: dict[str, Any] | None  # None: this was the last page


class AccountSource(Protocol):
    def page(self, start_key: dict[str, Any] | None, page_size: int) -> AccountPage: ...


class RecipientQueue(Protocol):
    def enqueue(self, batches: list[RecipientBatch]) -> None: ...


class DispatchRuns(Protocol):
    def acquire_run(
        self, version: str, effective_at: datetime, owner: str, lease_until: datetime, now: datetime
    ) -> DispatchRun | None: ...
    def checkpoint(
        self, version: str, owner: str, last_key: dict[str, Any] | None, scanned: int, queued: int
    ) -> None: ...
    def hand_over(self, version: str, owner: str, *, continued: bool = True) -> None: ...
    def complete_run(self, version: str, owner: str, now: datetime) -> None: ...


class DispatchResult(StrEnum):
    MINOR_CHANGE = "minor_change"  # no email for a minor change
    NOT_NEEDED = "not_needed"  # already completed, or another invocation is on it
    COMPLETED = "completed"
    CONTINUED = "continued"


@dataclass(frozen=True)
class DispatchOutcome:
    version: str
    result: DispatchResult
    scanned: int = 0
    queued: int = 0


def batches_of(version: str, account_ids: list[str]) -> list[RecipientBatch]:
    return [
        RecipientBatch(version=version, account_ids=account_ids[start : start + MAX_ACCOUNTS_PER_MESSAGE])
        for start in range(0, len(account_ids), MAX_ACCOUNTS_PER_MESSAGE)
    ]


def dispatch(
    version: str,
    significant: bool,
    effective_at: datetime,
    *,
    owner: str,
    now: datetime,
    seconds_left: Callable[[], float],
    accounts: AccountSource,
    queue: RecipientQueue,
    runs: DispatchRuns,
    bus: EventPublisher,
    page_size: int = PAGE_SIZE,
) -> DispatchOutcome:
    if not significant:
        return DispatchOutcome(version, DispatchResult.MINOR_CHANGE)
    # The lease lasts as long as this invocation can: after a crash or a timeout, a retry finds it expired.
    run = runs.acquire_run(version, effective_at, owner, now + timedelta(seconds=seconds_left()), now)
    if run is None:
        return DispatchOutcome(version, DispatchResult.NOT_NEEDED)
    key, scanned, queued = run.last_key, 0, 0
    try:
        while True:
            if seconds_left() < SAFETY_SECONDS:
                runs.hand_over(version, owner)  # first release, then re-emit: the continuation must find it free
                bus.publish(NoticeDispatchContinued(version=version, effective_at=effective_at, occurred_at=now))
                return DispatchOutcome(version, DispatchResult.CONTINUED, scanned, queued)
            page = accounts.page(key, page_size)
            recipients = [a.account_id for a in page.accounts if a.status != CLOSED]
            if recipients:
                queue.enqueue(batches_of(version, recipients))
            runs.checkpoint(version, owner, page.next_key, len(page.accounts), len(recipients))
            scanned, queued = scanned + len(page.accounts), queued + len(recipients)
            if page.next_key is None:
                runs.complete_run(version, owner, now)
                return DispatchOutcome(version, DispatchResult.COMPLETED, scanned, queued)
            key = page.next_key
    except Exception:
        # Let Lambda's retry resume at once instead of waiting for the lease to run out.
        runs.hand_over(version, owner, continued=False)
        raise
