"""Submit, verify (email link, SMS code), duplicates, wrong secrets, expiry: what the requester sees."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from privacydesk.deadlines.domain import deadline_checks
from privacydesk.kernel.errors import InvalidToken, TooManyRequests
from privacydesk.requests.domain import intake
from privacydesk.requests.domain.deadline_monitor import MonitorRules
from privacydesk.requests.domain.model import Channel, RequestStatus, RequestType
from tests.support.fakes import FakeDesk

pytestmark = pytest.mark.fast

ANA = "ana.fast@example.org"
ANA_PHONE = "+639171234567"


def _submit(desk: FakeDesk, kind: RequestType = RequestType.ACCESS, **contact: str) -> intake.Receipt:
    new = intake.NewRequest(type=kind, **(contact or {"email": ANA}))
    return intake.submit(new, channel=Channel.API, now=desk.now, services=desk.services())


def _verify(desk: FakeDesk, request_id: str, secret: str):
    return intake.verify(request_id, secret, now=desk.now, services=desk.services())


def _guess_wrong(desk: FakeDesk, request_id: str, code: str, *, times: int) -> None:
    """`times` wrong codes for the request (never `code`, the one that was texted)."""
    for _ in range(times):
        with pytest.raises(InvalidToken):
            _verify(desk, request_id, "000000" if code != "000000" else "111111")


def test_a_new_request_waits_for_its_requester_to_confirm():
    desk = FakeDesk()
    receipt = _submit(desk)
    assert receipt.request.status == RequestStatus.PENDING_VERIFICATION
    assert desk.requests.actions(receipt.request.request_id) == ["received"]


def test_the_confirmation_link_is_mailed_to_the_address_given_and_nowhere_else():
    desk = FakeDesk()
    receipt = _submit(desk)
    desk.deliver_outbox()  # the link is committed with the request and sent by the outbox
    assert [m.to for m in desk.mailer.sent] == [ANA]
    assert desk.verification_token(ANA, receipt.request.request_id)


def test_a_new_request_announces_itself_on_the_bus_through_the_outbox_only():
    desk = FakeDesk()
    receipt = _submit(desk)
    assert desk.bus.published == []  # nothing is sent before the commit's outbox is delivered
    desk.deliver_outbox()
    assert desk.bus.detail_types(receipt.request.request_id) == ["Request.Received"]


def test_following_the_link_verifies_the_request():
    desk = FakeDesk()
    request_id = _submit(desk).request.request_id
    verified = _verify(desk, request_id, desk.verification_token(ANA, request_id))
    assert verified.status == RequestStatus.VERIFIED
    assert desk.requests.actions(request_id) == ["received", "verified"]


def test_a_verified_requester_is_told_the_deadline_once_the_outbox_is_delivered():
    desk = FakeDesk()
    request_id = _submit(desk).request.request_id
    _verify(desk, request_id, desk.verification_token(ANA, request_id))
    desk.deliver_outbox()
    assert desk.subjects(ANA) == ["Please confirm your privacy request", "Your privacy request is confirmed"]


def test_delivering_the_outbox_twice_sends_each_notice_once():
    desk = FakeDesk()
    request_id = _submit(desk).request.request_id
    _verify(desk, request_id, desk.verification_token(ANA, request_id))
    desk.deliver_outbox()
    assert desk.deliver_outbox() == 0
    assert len(desk.mailer.to(ANA)) == 2


def test_a_phone_only_request_is_verified_with_the_code_texted_to_it():
    desk = FakeDesk()
    request_id = _submit(desk, phone=ANA_PHONE).request.request_id
    verified = _verify(desk, request_id, desk.sms_code(ANA_PHONE))
    assert verified.status == RequestStatus.VERIFIED
    assert verified.verification_method == "sms_code"
    assert desk.mailer.sent == []


def test_a_second_request_of_the_same_kind_is_a_duplicate_that_stores_and_sends_nothing_new():
    desk = FakeDesk()
    first = _submit(desk)
    desk.later(minutes=5)
    again = _submit(desk)
    assert again.duplicate
    assert again.request.request_id == first.request.request_id
    assert len(desk.requests.requests) == 1
    desk.deliver_outbox()
    assert len(desk.mailer.to(ANA)) == 1  # the first link still works: no second one


def test_a_duplicate_is_shown_a_fresh_receipt_that_does_not_name_the_open_request():
    desk = FakeDesk()
    first = _submit(desk)
    again = _submit(desk)
    shown, status_token = intake.caller_receipt(again, desk.now, desk.services())
    assert shown.request_id != first.request.request_id
    assert status_token
    assert shown.subject.email is None


def test_a_wrong_secret_is_refused_as_invalid_and_leaves_the_request_pending():
    desk = FakeDesk()
    request_id = _submit(desk).request.request_id
    with pytest.raises(InvalidToken) as refused:
        _verify(desk, request_id, "not-the-secret")
    assert refused.value.code == "token_invalid"
    assert desk.requests.require(request_id).status == RequestStatus.PENDING_VERIFICATION
    assert desk.requests.challenge(request_id).attempts == 1


def test_an_unknown_request_answers_as_a_wrong_secret_does():
    desk = FakeDesk()
    with pytest.raises(InvalidToken) as refused:
        _verify(desk, "req_" + "0" * 32, "anything")
    assert refused.value.code == "token_invalid"


def test_an_unconfirmed_request_expires_and_its_requester_is_told():
    desk = FakeDesk()
    request_id = _submit(desk).request.request_id
    rules = MonitorRules()
    desk.later(days=rules.unverified_expiry_days + 1)
    deadline_checks.run(
        desk.now, services=desk.services(), open_requests=desk.requests, rules=rules, dpo_email="dpo@example.org"
    )
    desk.deliver_outbox()
    assert desk.requests.require(request_id).status == RequestStatus.EXPIRED
    assert "Request.Expired" in desk.bus.detail_types(request_id)
    assert desk.subjects(ANA)[-1] == "Your privacy request has expired"


def test_a_second_code_within_the_sms_cooldown_is_held_back_and_sent_when_asked_again_after_it():
    desk = FakeDesk()
    _submit(desk, RequestType.ACCESS, phone=ANA_PHONE)
    _submit(desk, RequestType.DELETE, phone=ANA_PHONE)  # within the minute: no second text
    desk.deliver_outbox()
    assert len(desk.sms.to(ANA_PHONE)) == 1
    desk.later(seconds=61)
    _submit(desk, RequestType.DELETE, phone=ANA_PHONE)
    desk.deliver_outbox()
    assert len(desk.sms.to(ANA_PHONE)) == 2


def test_five_wrong_codes_lock_the_request_even_against_the_right_one():
    desk = FakeDesk()
    request_id = _submit(desk, phone=ANA_PHONE).request.request_id
    code = desk.sms_code(ANA_PHONE)
    _guess_wrong(desk, request_id, code, times=5)
    with pytest.raises(TooManyRequests) as refused:
        _verify(desk, request_id, code)
    assert refused.value.code == "too_many_attempts"


def test_a_strangers_wrong_guesses_never_lock_an_emailed_link():
    desk = FakeDesk()
    request_id = _submit(desk).request.request_id
    for n in range(12):  # past the code's lock and the person's daily cap
        with pytest.raises(InvalidToken):
            _verify(desk, request_id, f"guess-{n}")
    assert _verify(desk, request_id, desk.verification_token(ANA, request_id)).status == RequestStatus.VERIFIED


def test_a_locked_code_holds_through_its_day_then_asking_again_texts_a_code_that_works():
    desk = FakeDesk()
    request_id = _submit(desk, phone=ANA_PHONE).request.request_id
    first = desk.sms_code(ANA_PHONE)
    _guess_wrong(desk, request_id, first, times=5)
    _submit(desk, phone=ANA_PHONE)  # the same day: the locked code stands, nothing is texted
    desk.deliver_outbox()
    assert len(desk.sms.to(ANA_PHONE)) == 1
    desk.later(hours=25)  # the lock ends with the code's 24 hours
    _submit(desk, phone=ANA_PHONE)
    second = desk.sms_code(ANA_PHONE)
    assert len(desk.sms.to(ANA_PHONE)) == 2
    assert _verify(desk, request_id, second).status == RequestStatus.VERIFIED


def test_the_texted_code_comes_with_a_link_that_names_its_request():
    """Whoever holds the phone can verify from the text alone, even when a stranger asked first and
    only the stranger was shown the request's id."""
    desk = FakeDesk()
    request_id = _submit(desk, phone=ANA_PHONE).request.request_id  # a stranger asks first
    owner = _submit(desk, phone=ANA_PHONE)  # the owner is shown a receipt, not that id
    shown = intake.caller_receipt(owner, desk.now, desk.services())[0].request_id
    assert shown != request_id
    code = desk.sms_code(ANA_PHONE)
    (text,) = desk.sms.to(ANA_PHONE)
    found = re.search(r"(https?://\S+/privacy/verify\?\S+)", text)
    assert found is not None
    query = parse_qs(urlsplit(found.group(1)).query)
    assert query == {"request": [request_id], "token": [code]}
    assert _verify(desk, query["request"][0], query["token"][0]).status == RequestStatus.VERIFIED


def test_wrong_codes_count_per_person_across_their_requests():
    desk = FakeDesk()
    first = _submit(desk, phone=ANA_PHONE).request.request_id
    code = desk.sms_code(ANA_PHONE)
    desk.later(minutes=2)  # past the texts' cooldown
    second = _submit(desk, RequestType.DELETE, phone=ANA_PHONE).request.request_id
    _guess_wrong(desk, first, code, times=4)  # under its own lock of 5
    _guess_wrong(desk, second, code, times=6)
    with pytest.raises(TooManyRequests) as refused:  # 10 wrong codes for this person in all
        _verify(desk, first, code)
    assert refused.value.code == "too_many_attempts"


def test_a_requester_who_cancels_is_told_and_the_request_is_closed():
    desk = FakeDesk()
    receipt = _submit(desk)
    request_id = receipt.request.request_id
    _verify(desk, request_id, desk.verification_token(ANA, request_id))
    cancelled = intake.cancel(request_id, receipt.status_token, now=desk.later(hours=1), services=desk.services())
    desk.deliver_outbox()
    assert cancelled.status == RequestStatus.CANCELLED
    assert "Request.Cancelled" in desk.bus.detail_types(request_id)
    assert desk.requests.actions(request_id)[-1] == "cancelled"
