"""A processor notice as sent: when, and by when it must be confirmed (the store's view), and
the port that stores it. Kept apart so the outbox's delivery path imports only this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


def notice_reference(request_id: str, processor: str) -> str:
    """The reference a notice carries and a processor quotes back: `<request id>/<processor>`."""
    return f"{request_id}/{processor}"


@dataclass(frozen=True)
class SentNotice:
    """A notice as the store has it: sent at `notified_at`, to be confirmed by `due_at`."""

    request_id: str
    processor: str
    channel: str
    notified_at: datetime
    due_at: datetime
    confirmed_at: datetime | None = None
    escalated_at: datetime | None = None


class SentNotices(Protocol):
    def record_sent(self, notice: SentNotice) -> None: ...  # idempotent: the first send's dates stay
    def of_request(self, request_id: str) -> list[SentNotice]: ...
    def awaiting_due(self, before: datetime, limit: int = 200) -> list[SentNotice]: ...
    def close(
        self, request_id: str, processor: str, *, confirmed_at: datetime | None, escalated_at: datetime | None
    ) -> None: ...
