"""Texts per client source, on the fakes: one source gets a share of a number's daily texts, a
source's first text still comes from a small reserve once the shared cap is gone, and the reserve
bounds what many sources together can text to one number (SECURITY.md 4b; the email side is
proven through the handlers in tests/integration/test_source_limits.py)."""

from __future__ import annotations

import pytest

from privacydesk.requests.domain import intake
from privacydesk.requests.domain.model import Channel, RequestType
from tests.support.fakes import FakeDesk

pytestmark = pytest.mark.fast

PHONE = "+639171112233"


def ask_and_withdraw(desk: FakeDesk, source: str) -> None:
    """A stranger asks for a code in the number's name, then cancels (the code texted is dead)."""
    new = intake.NewRequest(type=RequestType.ACCESS, phone=PHONE)
    receipt = intake.submit(new, channel=Channel.API, now=desk.now, services=desk.services(), source=source)
    if receipt.status_token:
        intake.cancel(receipt.request.request_id, receipt.status_token, now=desk.now, services=desk.services())
    desk.later(minutes=2)  # past every SMS cooldown: only the caps decide
    desk.deliver_outbox()


def texts(desk: FakeDesk) -> int:
    desk.deliver_outbox()
    return len(desk.sms.to(PHONE))


def test_one_source_texts_a_number_at_most_twice_a_day():
    desk = FakeDesk()
    for _ in range(5):
        ask_and_withdraw(desk, "198.51.100.1")
    assert texts(desk) == 2


def test_the_owner_gets_a_code_after_two_strangers_used_the_days_shared_texts():
    desk = FakeDesk()
    for stranger in ("198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.2"):
        ask_and_withdraw(desk, stranger)
    assert texts(desk) == 3  # 2 + 1: the number's shared cap is gone
    new = intake.NewRequest(type=RequestType.DELETE, phone=PHONE)
    mine = intake.submit(new, channel=Channel.API, now=desk.now, services=desk.services(), source="192.0.2.7")
    code = desk.sms_code(PHONE)
    assert intake.verify(mine.request.request_id, code, now=desk.now, services=desk.services()).verified_at


def test_many_sources_together_text_a_number_at_most_five_times_a_day():
    desk = FakeDesk()
    for n in range(10):
        ask_and_withdraw(desk, f"198.51.100.{n + 1}")
    assert texts(desk) == 5  # 3 shared + 2 from the reserve
