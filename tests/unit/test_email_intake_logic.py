"""Email intake's failure paths that moto cannot produce: a store that fails mid-read."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import IO, Any

import pytest

from privacydesk.email_intake.domain.email_intake import EmailPorts, InboundMail, StreamFailed, intake_email
from privacydesk.email_intake.domain.email_trust import Verdicts
from privacydesk.email_intake.domain.review_model import ReviewEntry

pytestmark = pytest.mark.unit


class BrokenStream(io.RawIOBase):
    def __init__(self) -> None:
        self.calls = 0

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise ConnectionResetError("peer reset")
        return b"From: a@example.com\r\nSubject: delete my data\r\n"


class Objects:
    def open(self, bucket: str, key: str) -> IO[bytes]:
        return BrokenStream()  # type: ignore[return-value]

    def put(self, bucket: str, key: str, body: Any, content_type: str = "") -> None:
        raise AssertionError("nothing is stored from a half-read message")

    def move(self, bucket: str, source_key: str, target_key: str) -> None:
        raise AssertionError("not a virus")


class Review:
    def __init__(self) -> None:
        self.entries: list[ReviewEntry] = []

    def add(self, entry: ReviewEntry) -> ReviewEntry:
        self.entries.append(entry)
        return entry


class NoAccounts:
    def by_email(self, email: str) -> None:
        return None


def test_a_store_failing_mid_read_raises_for_a_retry_instead_of_listing_the_mail_as_unreadable():
    review = Review()
    ports = EmailPorts(objects=Objects(), accounts=NoAccounts(), review=review)
    mail = InboundMail(message_id="m-1", bucket="inbound", verdicts=Verdicts())
    with pytest.raises(StreamFailed):
        intake_email(mail, now=datetime(2025, 12, 1, tzinfo=UTC), services=None, ports=ports)  # type: ignore[arg-type]
    assert review.entries == []
