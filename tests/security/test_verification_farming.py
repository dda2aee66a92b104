"""Observations 3 and 4 of issue 14: resubmitting must not reset the attempt lock, replace the live
link, or send another mail or SMS; and guessing from one address across many requests is throttled.
Controls: requests/domain/intake.py (challenges are renewed only when spent, attempts count per
request and per person, a token bucket per source), requests/adapters/abuse_limits.py (send caps
and cooldowns), requests/adapters/source_throttle.py (the buckets)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.security.attacker import (
    LINK,
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


def test_a_strangers_guesses_and_resubmissions_never_lock_the_owners_emailed_link(running: RunningStack):
    victim = mailbox("victim")
    request_id = submit(running, type="delete", email=victim).json()["request_id"]
    guesses = [verify(running, request_id, f"guess-{n}") for n in range(5)]
    assert submit(running, type="delete", email=victim).status_code == 202
    guesses += [verify(running, request_id, f"again-{n}") for n in range(8)]
    assert _codes(guesses) == ["token_invalid"] * 13  # past a code's lock and the person's daily cap
    ((_, token),) = verification_links(running, victim)  # the link was never replaced...
    assert verify(running, request_id, token).status_code == 200  # ...and a 256-bit secret never locks


def test_the_phones_owner_verifies_from_the_text_when_a_stranger_asked_first(running: RunningStack):
    phone = fresh_phone()
    strangers = submit(running, type="access", phone=phone).json()["request_id"]
    owners = submit(running, type="access", phone=phone).json()["request_id"]
    assert owners != strangers  # the owner is shown a receipt: never the open request's id
    ((message,),) = [inbox(running, phone, "sms")]
    link = LINK.search(message["text"])
    assert link is not None, "the text carries a link as well as the code"
    query = parse_qs(urlsplit(link.group(1)).query)
    assert query["request"] == [strangers]
    assert verify(running, strangers, query["token"][0]).status_code == 200


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
