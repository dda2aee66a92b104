"""A token bucket: `rate` tokens a second, at most `capacity` saved up. Pure arithmetic; the
shared state lives in DynamoDB (kernel/rate_limits.py) and is changed with conditional writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BucketState:
    tokens: float
    updated_at: datetime


@dataclass(frozen=True)
class Grant:
    granted: int
    state: BucketState
    wait_seconds: float  # how long until one more token exists (0 when some were granted)


def refill(state: BucketState, rate: float, capacity: float, now: datetime) -> BucketState:
    elapsed = max(0.0, (now - state.updated_at).total_seconds())  # a clock that steps back adds nothing
    return BucketState(tokens=min(capacity, state.tokens + elapsed * rate), updated_at=max(now, state.updated_at))


def take(state: BucketState | None, wanted: int, rate: float, capacity: float, now: datetime) -> Grant:
    """Grant up to `wanted` whole tokens. A new bucket starts full (one second's worth)."""
    if rate <= 0 or capacity < 1:
        raise ValueError("a token bucket needs a positive rate and room for at least one token")
    current = refill(state, rate, capacity, now) if state else BucketState(tokens=capacity, updated_at=now)
    granted = max(0, min(wanted, int(current.tokens)))
    left = BucketState(tokens=current.tokens - granted, updated_at=current.updated_at)
    wait = 0.0 if granted else (1.0 - left.tokens) / rate
    return Grant(granted=granted, state=left, wait_seconds=wait)
