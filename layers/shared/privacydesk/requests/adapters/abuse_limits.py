"""Counters that stop farming (requests.domain.ports.AbuseLimits), as items of the tokens table beside the
challenges they protect, removed by its TTL. Each counter is one item per key and window; keys are
hashed here, so the table never holds an address or a number."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.requests.domain.ports import Allowance


@table("tokens_table")
class LimitCounterRecord(Model):
    class Meta:
        table_name = "tokens"

    token_id = UnicodeAttribute(hash_key=True)  # "limit#<kind>#<sha256 of the key>#<window>"
    hits = NumberAttribute(default=0)
    last_at = NumberAttribute(null=True)  # epoch seconds of the last counted hit
    expires_at = NumberAttribute()  # TTL


def _counter_id(kind: str, key: str, window: str) -> str:
    return f"limit#{kind}#{hashlib.sha256(key.encode()).hexdigest()}#{window}"


def _window(now: datetime, size: timedelta) -> str:
    seconds = int(size.total_seconds())
    return str(int(now.timestamp()) // seconds)


class AbuseCounters:
    """Implements requests.domain.ports.AbuseLimits."""

    def spend(self, kind: str, key: str, allowance: Allowance, now: datetime) -> bool:
        """Count one hit if the key is within its cap for the window and past its cooldown (one
        conditional UpdateItem); False, and nothing counted, if not. A cap of 0 allows nothing."""
        if allowance.cap <= 0:
            return False
        record = LimitCounterRecord(token_id=_counter_id(kind, key, _window(now, allowance.window)))
        epoch = int(now.timestamp())
        within = LimitCounterRecord.hits < allowance.cap
        if allowance.cooldown:
            cooled = LimitCounterRecord.last_at <= epoch - int(allowance.cooldown.total_seconds())
            within = within & (LimitCounterRecord.last_at.does_not_exist() | cooled)
        try:
            record.update(
                actions=[
                    LimitCounterRecord.hits.add(1),
                    LimitCounterRecord.last_at.set(epoch),
                    LimitCounterRecord.expires_at.set(epoch + int(allowance.window.total_seconds()) * 2),
                ],
                condition=LimitCounterRecord.token_id.does_not_exist() | within,
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def used(self, kind: str, key: str, allowance: Allowance, now: datetime) -> int:
        """Hits counted for the key in the current window (one read)."""
        try:
            record = LimitCounterRecord.get(
                _counter_id(kind, key, _window(now, allowance.window)), consistent_read=True
            )
        except LimitCounterRecord.DoesNotExist:
            return 0
        return int(record.hits)

    def count(self, kind: str, key: str, allowance: Allowance, now: datetime) -> None:
        """Count one hit whatever the cap (failed attempts: the cap is checked by `used`)."""
        epoch = int(now.timestamp())
        LimitCounterRecord(token_id=_counter_id(kind, key, _window(now, allowance.window))).update(
            actions=[
                LimitCounterRecord.hits.add(1),
                LimitCounterRecord.last_at.set(epoch),
                LimitCounterRecord.expires_at.set(epoch + int(allowance.window.total_seconds()) * 2),
            ]
        )
