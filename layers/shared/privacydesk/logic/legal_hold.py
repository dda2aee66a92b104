"""Legal holds: the DPO preserves a subject's data for a legal claim or investigation.

A hold is set per subject (account id) with a reason. While it stands, erasure keeps the
subject's records (and lists them, with the reason, in the completion notice) and retention
leaves them alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from privacydesk.logic.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Hold:
    account_id: str
    reason: str
    set_at: datetime
    request_id: str | None = None  # the request or case that asked for the hold
    set_by: str | None = None


class HoldStore(Protocol):
    def get(self, account_id: str) -> Hold | None: ...
    def put(self, hold: Hold) -> None: ...
    def delete(self, account_id: str) -> None: ...


def set_hold(account_id: str, reason: str, *, actor: str, now: datetime, holds: HoldStore) -> Hold:
    """Place (or replace the reason of) a hold."""
    if not reason.strip():
        raise InvalidInput("a hold needs a reason", code="missing_reason")
    hold = Hold(account_id=account_id, reason=reason.strip(), set_at=now, set_by=actor)
    holds.put(hold)
    return hold


def clear_hold(account_id: str, *, holds: HoldStore) -> Hold:
    current = holds.get(account_id)
    if current is None:
        raise NotFound("this subject has no legal hold", code="hold_not_found")
    holds.delete(account_id)
    return current
