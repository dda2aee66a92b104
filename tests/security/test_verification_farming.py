"""Observations 3 and 4 of issue 14: resubmitting must not reset the attempt lock, replace the live
link, or send another mail or SMS; and guessing from one address across many requests is throttled.
Controls: requests/domain/intake.py (challenges are renewed only when spent, attempts count per
request and per person, a token bucket per source), requests/adapters/abuse_limits.py (send caps
and cooldowns), requests/adapters/source_throttle.py (the buckets)."""

from __future__ import annotations

import time

import pytest

from tests.security.attacker import (
    fresh_loopback,
    fresh_phone,
    inbox,
    mailbox,
    sms_codes,
    submit,
    verification_links,
    verify,
)
from tests.support.standin import RunningStack

pytestmark = pytest.mark.security


def _codes(replies: list[object]) -> list[str]:
    return [r.json()["error"]["code"] for r in replies]  # type: ignore[attr-defined]


def test_resubmitting_does_not_reset_the_attempt_lock(running: RunningStack):
    victim = mailbox("victim")
    request_id = submit(running, type="delete", email=victim).json()["request_id"]
    guesses = [verify(running, request_id, f"guess-{n}") for n in range(5)]
    assert submit(running, type="delete", email=victim).status_code == 202  # the old reset
    guesses += [verify(running, request_id, f"again-{n}") for n in range(3)]
    assert _codes(guesses) == ["token_invalid"] * 8
    ((_, token),) = verification_links(running, victim)
    locked = verify(running, request_id, token)  # even the right secret: the lock held
    assert (locked.status_code, locked.json()["error"]["code"]) == (429, "too_many_attempts")


def test_resubmitting_a_phone_request_texts_no_new_code(running: RunningStack):
    phone = fresh_phone()
    for _ in range(4):
        assert submit(running, type="delete", phone=phone).status_code == 202
    assert len(inbox(running, phone, "sms")) == 1


def test_sms_code_lock_survives_resubmission(running: RunningStack):
    phone = fresh_phone()
    request_id = submit(running, type="access", phone=phone).json()["request_id"]
    for n in range(5):
        assert verify(running, request_id, f"{n:06d}").status_code == 400
    submit(running, type="access", phone=phone)
    (code,) = sms_codes(running, phone)  # no second code was texted
    assert verify(running, request_id, code).status_code == 429


def test_eight_submissions_send_one_mail_and_the_first_link_still_works(running: RunningStack):
    owner = mailbox("owner")
    replies = [submit(running, type="access", email=owner) for _ in range(8)]
    assert {r.status_code for r in replies} == {202}
    links = verification_links(running, owner)
    assert len(links) == 1
    request_id, token = links[0]
    assert verify(running, request_id, token).status_code == 200


def test_wrong_guesses_count_per_person_across_their_requests(running: RunningStack):
    victim = mailbox("victim")
    first = submit(running, type="access", email=victim).json()["request_id"]
    second = submit(running, type="delete", email=victim).json()["request_id"]
    for n in range(4):  # under the per-request lock of 5
        verify(running, first, f"guess-{n}")
    for n in range(6):
        verify(running, second, f"guess-{n}")
    token = next(token for request_id, token in verification_links(running, victim) if request_id == first)
    refused = verify(running, first, token)  # 10 wrong guesses for this person in all
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "too_many_attempts")


def test_a_submission_over_the_send_limit_gets_the_same_reply(running: RunningStack):
    phone = fresh_phone()
    texted = submit(running, type="access", phone=phone)
    held = submit(running, type="delete", phone=phone)  # within the SMS cooldown: no text now
    assert (texted.status_code, set(texted.json())) == (held.status_code, set(held.json()))
    assert len(sms_codes(running, phone)) == 1


def test_asking_again_after_the_cooldown_sends_the_code_that_was_held_back(running: RunningStack):
    phone = fresh_phone()
    submit(running, type="access", phone=phone)
    submit(running, type="delete", phone=phone)
    time.sleep(61)  # the SMS cooldown is a minute
    submit(running, type="delete", phone=phone)
    assert len(sms_codes(running, phone)) == 2


def test_one_person_asking_for_two_things_gets_both_links_at_once(running: RunningStack):
    person = mailbox("person")
    submit(running, type="access", email=person)
    submit(running, type="delete", email=person)
    links = verification_links(running, person)
    assert len(links) == 2
    assert all(verify(running, *link).status_code == 200 for link in links)


def test_one_address_guessing_across_many_requests_is_stopped_while_another_still_verifies(running: RunningStack):
    guesser, people = fresh_loopback(), [mailbox("target") for _ in range(5)]
    request_ids = [submit(running, type="access", email=person).json()["request_id"] for person in people]
    # 4 wrong secrets on each: under every request's lock of 5 and every person's 10
    guesses = [verify(running, request_ids[n // 4], f"guess-{n}", source=guesser).status_code for n in range(20)]
    assert guesses == [400] * 20
    stopped = verify(running, request_ids[0], "guess-more", source=guesser)
    assert (stopped.status_code, stopped.json()["error"]["code"]) == (429, "source_rate_limited")
    assert int(stopped.headers["Retry-After"]) > 0
    ((request_id, token),) = verification_links(running, people[-1])
    assert verify(running, request_id, token, source=fresh_loopback()).status_code == 200
