"""API usage: each call row is written together with its account's monthly count.

The data map says usage is "aggregated after 13 months". The count is kept from the start, in the
same transaction as the row (see datamap/domain/retention_schedule.py for why not at sweep time): when retention
removes the rows, the monthly counts (usage_id "aggregate#YYYY-MM") are what remains.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from privacydesk.datamap.adapters.reference_stores import ApiUsageRecord
from privacydesk.datamap.adapters.retention_fields import stamp, store_named
from privacydesk.kernel.dynamo import transaction_condition_failed


def _aggregate_prefix() -> str:
    aggregate = store_named("api_usage").retention.aggregate
    if aggregate is None:
        raise ValueError("the data map's api_usage store declares no aggregate")
    return aggregate.item_prefix


def aggregate_id(at: datetime) -> str:
    return f"{_aggregate_prefix()}{at.strftime('%Y-%m')}"


def record_api_call(
    *, account_id: str, usage_id: str, endpoint: str, method: str, status_code: int, at: datetime, now: datetime
) -> bool:
    """Write one call and count it in its month; False (and nothing counted) if it was already recorded."""
    row = ApiUsageRecord(
        account_id=account_id,
        usage_id=usage_id,
        endpoint=endpoint,
        method=method,
        status_code=status_code,
        at=at.isoformat(),
    )
    stamp(row, now=now)
    summary = ApiUsageRecord(account_id=account_id, usage_id=aggregate_id(at))
    try:
        with TransactWrite(connection=ApiUsageRecord._get_connection().connection) as transaction:
            transaction.save(row, condition=ApiUsageRecord.usage_id.does_not_exist())
            transaction.update(
                summary,
                actions=[
                    ApiUsageRecord.month.set(at.strftime("%Y-%m")),
                    ApiUsageRecord.calls.add(1),
                    ApiUsageRecord.errors.add(1 if status_code >= 400 else 0),
                ],
            )
    except TransactWriteError as error:
        if transaction_condition_failed(error):
            return False
        raise
    return True


def monthly_counts(account_id: str) -> dict[str, dict[str, int]]:
    """{"YYYY-MM": {"calls": n, "errors": n}} for an account (the aggregate that outlives the rows)."""
    prefix = _aggregate_prefix()
    return {
        str(r.month): {"calls": int(r.calls or 0), "errors": int(r.errors or 0)}
        for r in ApiUsageRecord.query(account_id, ApiUsageRecord.usage_id.startswith(prefix))
    }
