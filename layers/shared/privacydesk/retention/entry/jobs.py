"""The retention sweep and the TTL accounting as invocations: lease, continuation, audit and metrics
(their ports come from the composition root)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from privacydesk.bootstrap import retention_sweep_ports, sweep_continuation, ttl_accounting_ports
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.observability import ephemeral_metrics, logger
from privacydesk.kernel.settings import get_settings
from privacydesk.retention.domain import retention_sweep, ttl_accounting

SWEEP_METRICS = {
    "deleted": "RetentionDeleted",
    "anonymized": "RetentionAnonymized",
    "held": "RetentionHeld",
    "failed": "RetentionFailed",
}


def _metrics(values: Mapping[str, float], store: str) -> None:
    """One EMF record per store (dimension `store`), flushed now."""
    metrics = ephemeral_metrics()
    metrics.add_dimension(name="store", value=store)
    for name, value in values.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()


MAX_CONTINUATIONS = 96  # a run that needs more than a day of invocations resumes with tomorrow's


def run_sweep(
    now: datetime,
    remaining_ms: Callable[[], int],
    *,
    continuation: Mapping[str, Any] | None = None,
    continue_with: Callable[[dict[str, Any]], None] | None = None,
    reserve_ms: int = 30_000,
    page_size: int = 500,
    holder: str | None = None,
) -> retention_sweep.SweepReport:
    """One invocation of the sweep, under the sweep lease (`holder`: the Lambda request id). When it
    stops for time, `continue_with` gets the event of the next invocation (the handler sends it to
    the continuation queue), after the lease is released so that invocation can take it."""
    wired = retention_sweep_ports()
    previous = continuation or {}
    run_started = datetime.fromisoformat(previous["run_started"]) if previous.get("run_started") else now
    generation = int(previous.get("generation", 0))
    report = retention_sweep.sweep_exclusively(
        wired["lease"],
        holder or uuid.uuid4().hex,
        now,
        lambda: retention_sweep.sweep(
            datamap=wired["datamap"],
            rules=wired["rules"],
            now=now,
            ports=wired["ports"],
            budget=retention_sweep.Budget(remaining_ms, reserve_ms),
            shards=wired["shards"],
            lookback_days=wired["lookback_days"],
            page_size=page_size,
            run_started=run_started,
        ),
        run_started=run_started,
    )
    if report.skipped:
        # The holder saves its own checkpoints and sends its own continuation.
        logger.info("retention sweep skipped: another invocation holds the lease", extra={"generation": generation})
        return report
    for store in report.stores:
        counts = store.as_dict()
        counts.pop("store")
        wired["record_run"](store.store, counts, now)
        _metrics({name: counts[field] for field, name in SWEEP_METRICS.items()}, store.store)
        logger.info(
            "retention sweep",
            extra={k: counts[k] for k in ("deleted", "anonymized", "held", "failed", "items_read", "complete")}
            | {"store": store.store, "held_accounts": store.held_accounts},
        )
    if not report.complete and continue_with is not None and generation < MAX_CONTINUATIONS:
        continue_with({"job": "retention-sweep", "run_started": run_started.isoformat(), "generation": generation + 1})
    return report


def continue_through_queue(queue_url: str) -> Callable[[dict[str, Any]], None] | None:
    """Continuation through the sweep's own queue (RetentionContinuationQueue), which invokes it.

    A failed send raises: the invocation fails and is retried (Lambda's async retries, or SQS's
    redelivery), resuming from the saved checkpoint, rather than the run silently stopping."""
    if not queue_url:
        logger.warning("no continuation queue configured: an unfinished sweep resumes with the next daily run")
        return None
    return sweep_continuation(queue_url)


def continuation_of(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The continuation an invocation carries: an SQS record from the continuation queue, or (from
    before the queue existed) a direct event; None for the daily schedule's event."""
    records = event.get("Records")
    if isinstance(records, list) and records:
        body = json.loads(records[0].get("body") or "{}")
        return body if isinstance(body, dict) and "run_started" in body else None
    return event if "run_started" in event else None


def account_ttl_deletions(records: list[Mapping[str, Any]], now: datetime) -> dict[str, int]:
    wired = ttl_accounting_ports()
    batches = ttl_accounting.account(records, wired["stores_by_table"], now, wired["ports"])
    totals: dict[str, int] = {}
    for batch in batches:
        totals[batch.store] = totals.get(batch.store, 0) + len(batch.item_keys)
    for store, count in totals.items():
        _metrics({"RetentionTtlDeleted": count}, store)
    logger.info("ttl deletions recorded", extra={"stores": totals})
    return totals


def sweep_invocation(event: Any, context: LambdaContext) -> dict[str, Any]:
    """One invocation of the sweep function: the daily schedule's event or a continuation."""
    # Per-store metrics are flushed by run_sweep (one EMF record per store, dimension "store").
    report = run_sweep(
        utc_now(),
        context.get_remaining_time_in_millis,
        continuation=continuation_of(event) if isinstance(event, dict) else None,
        continue_with=continue_through_queue(get_settings().retention_continuation_queue_url),
        holder=context.aws_request_id,
    )
    return report.as_dict()


def ttl_deletions_of_stream(event: dict[str, Any]) -> dict[str, Any]:
    """One batch of the reference stores' streams: the deletions TTL made, recorded."""
    return {"ttl_deleted": account_ttl_deletions(event.get("Records", []), utc_now())}
