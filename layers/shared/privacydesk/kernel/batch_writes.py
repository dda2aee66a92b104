"""BatchWriteItem done right: at most 25 requests a call, unprocessed items retried with
exponential backoff and jitter, and a count of calls so jobs can prove their cost."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from privacydesk.kernel.aws import client

MAX_BATCH = 25


@dataclass
class BatchResult:
    written: int = 0
    calls: int = 0
    retries: int = 0
    unprocessed: int = 0  # left after the last attempt (the caller reports or retries later)
    unprocessed_requests: list[dict[str, Any]] = field(default_factory=list)  # those requests, as sent


def backoff_delay(attempt: int, base_delay: float = 0.05) -> float:
    """The one retry policy for unprocessed batch items (writes and reads): exponential, jittered."""
    # Backoff jitter, not a secret: the stdlib generator is right here.
    return float(base_delay * (2**attempt) * (0.5 + random.random() / 2))  # noqa: S311  # nosec B311


def _chunks(items: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batch_write(
    table_name: str,
    requests: list[dict[str, Any]],
    *,
    max_attempts: int = 8,
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 0.05,
) -> BatchResult:
    """Write low-level `{"DeleteRequest": {"Key": ...}}` / `{"PutRequest": {"Item": ...}}` entries."""
    result = BatchResult()
    dynamodb = client("dynamodb")
    for chunk in _chunks(requests, MAX_BATCH):
        pending = chunk
        for attempt in range(max_attempts):
            reply = dynamodb.batch_write_item(RequestItems={table_name: pending})
            result.calls += 1
            left = reply.get("UnprocessedItems", {}).get(table_name, [])
            result.written += len(pending) - len(left)
            if not left:
                break
            pending = left
            result.retries += 1
            sleep(backoff_delay(attempt, base_delay))
        else:
            result.unprocessed += len(pending)
            result.unprocessed_requests.extend(pending)
    return result


def delete_keys(table_name: str, keys: list[dict[str, Any]], **options: Any) -> BatchResult:
    """Delete items by their low-level keys (e.g. {"pk": {"S": "a"}}), 25 per call."""
    return batch_write(table_name, [{"DeleteRequest": {"Key": key}} for key in keys], **options)
