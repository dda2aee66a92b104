"""Progress of a version's notices, as the DPO sees it: what was queued, sent, bounced, suppressed, failed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from privacydesk.change_notices.domain.model import (
    DeliveryCounts,
    DeliveryEntry,
    DeliveryProgress,
    DeliveryStatus,
    DispatchRun,
)

# A claim older than this was never confirmed: the sender's invocation is long over, so the
# send is "unknown" (counted as failed) and is not retried automatically.
UNCONFIRMED_AFTER = timedelta(minutes=15)
SENT = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.BOUNCED, DeliveryStatus.COMPLAINED)


def summarize(
    version: str, run: DispatchRun | None, entries: Iterable[DeliveryEntry], now: datetime
) -> DeliveryProgress:
    counts = DeliveryCounts(queued=run.queued if run else 0)
    handled = in_flight = 0
    for entry in entries:
        handled += 1
        status = entry.status
        if status == DeliveryStatus.CLAIMED:
            if entry.claimed_at and now - entry.claimed_at > UNCONFIRMED_AFTER:
                counts.unknown += 1
                counts.failed += 1
            else:
                in_flight += 1
        elif status == DeliveryStatus.FAILED:
            counts.failed += 1
        elif status in (DeliveryStatus.SUPPRESSED, DeliveryStatus.SKIPPED):
            setattr(counts, status.value, getattr(counts, status.value) + 1)
        if status in SENT:
            counts.sent += 1
            if status != DeliveryStatus.SENT:
                setattr(counts, status.value, getattr(counts, status.value) + 1)
        if entry.accepted_at is not None:
            counts.accepted += 1
    counts.awaiting = max(0, counts.queued - handled) + in_flight
    return DeliveryProgress(
        version=version,
        dispatch_state=run.state if run else None,
        started_at=run.started_at if run else None,
        completed_at=run.completed_at if run else None,
        effective_at=run.effective_at if run else None,
        acceptance_recorded_at=run.acceptance_recorded_at if run else None,
        counts=counts,
    )
