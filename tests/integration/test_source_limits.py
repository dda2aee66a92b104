"""Per-source limits, in-process through the template's public API handler: a stranger hammering
one person's address from one client address cannot use up that person's day, and guessing
verification secrets from one address across many requests is stopped while other addresses are
not (SECURITY.md 4b). Each test acts from its own fresh client addresses."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.support.flows import unique_email
from tests.support.harness import Harness, HttpReply

pytestmark = pytest.mark.integration

SOURCE_SUBMISSIONS_PER_PERSON = 10  # RequestConfig.source_submissions_per_person
SOURCE_EMAIL_SHARE = 2  # RequestConfig.source_email_sends
GUESSES_PER_SOURCE = 20  # RequestConfig.source_verify_guesses.capacity
SUBMISSIONS_PER_SOURCE = 30  # RequestConfig.source_submissions.cap (an hour)


def fresh_source() -> str:
    """A client address no other test uses (198.18.0.0/15, the benchmarking range)."""
    return f"198.{random.randint(18, 19)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def submit_from(stack: Harness, source: str, **body: Any) -> HttpReply:
    return stack.http("POST", "/v1/requests", body, source_ip=source)


def cancel_from(stack: Harness, source: str, receipt: dict[str, Any]) -> HttpReply:
    bearer = {"Authorization": f"Bearer {receipt['status_token']}"}
    return stack.http("POST", f"/v1/requests/{receipt['request_id']}/cancel", headers=bearer, source_ip=source)


def verify_from(stack: Harness, source: str, request_id: str, token: str) -> HttpReply:
    return stack.http("POST", f"/v1/requests/{request_id}/verify", {"token": token}, source_ip=source)


def links_to(stack: Harness, email: str) -> list[tuple[str, str]]:
    """(request id, token) of every verification link mailed to `email`, oldest first."""
    from urllib.parse import parse_qs, urlsplit

    found = []
    for message in stack.outbox(to=email):
        for word in message["text"].split():
            if "/privacy/verify?" in word:
                query = parse_qs(urlsplit(word).query)
                found.append((query["request"][0], query["token"][0]))
    return found


def hammer_with_create_and_cancel(stack: Harness, source: str, email: str, times: int) -> list[int]:
    """What a stranger can do to a person's address: ask, then withdraw (killing the link mailed to
    the owner), again and again. The statuses the stranger saw."""
    statuses = []
    for _ in range(times):
        reply = submit_from(stack, source, type="access", email=email)
        statuses.append(reply.status)
        if reply.status == 202:
            assert cancel_from(stack, source, reply.json()).status == 200
    return statuses


# ------------------------------------------------------------------ sends: the owner keeps a way in
def test_a_stranger_hammering_from_one_address_cannot_stop_the_owner_getting_a_link(stack: Harness):
    owner = unique_email("owner")
    statuses = hammer_with_create_and_cancel(stack, fresh_source(), owner, SOURCE_SUBMISSIONS_PER_PERSON + 3)
    assert statuses.count(202) == SOURCE_SUBMISSIONS_PER_PERSON
    assert len(links_to(stack, owner)) == SOURCE_EMAIL_SHARE  # the rest of the day's sends are left

    mine = submit_from(stack, fresh_source(), type="access", email=owner)
    assert mine.status == 202, mine.body
    request_id, token = links_to(stack, owner)[-1]
    assert request_id == mine.json()["request_id"]
    assert verify_from(stack, fresh_source(), request_id, token).status == 200


def test_an_address_naming_one_person_too_often_is_told_when_to_come_back(stack: Harness):
    stranger, person = fresh_source(), unique_email("named")
    hammer_with_create_and_cancel(stack, stranger, person, SOURCE_SUBMISSIONS_PER_PERSON)
    refused = submit_from(stack, stranger, type="access", email=person)
    assert (refused.status, refused.json()["error"]["code"]) == (429, "source_rate_limited")
    assert 0 < int(refused.headers["retry-after"]) <= 86400


def test_one_address_naming_person_after_person_is_stopped_with_a_retry_after(stack: Harness):
    """Without it one address could have verification mail sent to address after address."""
    spammer = fresh_source()
    replies = [submit_from(stack, spammer, type="access", email=unique_email()) for _ in range(SUBMISSIONS_PER_SOURCE)]
    assert {reply.status for reply in replies} == {202}
    stopped = submit_from(stack, spammer, type="access", email=unique_email())
    assert (stopped.status, stopped.json()["error"]["code"]) == (429, "source_rate_limited")
    assert 0 < int(stopped.headers["retry-after"]) <= 3600  # when the hour turns


def test_another_address_still_submits_while_a_spammer_is_stopped(stack: Harness):
    spammer = fresh_source()
    for _ in range(SUBMISSIONS_PER_SOURCE + 1):
        submit_from(stack, spammer, type="access", email=unique_email())
    owner = unique_email()
    assert submit_from(stack, fresh_source(), type="access", email=owner).status == 202
    assert len(links_to(stack, owner)) == 1


def test_the_owners_first_link_comes_from_the_reserve_after_several_strangers_used_the_days_sends(stack: Harness):
    owner = unique_email("owner")
    for _ in range(3):  # 2 + 2 + 1: the person's five shared email sends are gone
        hammer_with_create_and_cancel(stack, fresh_source(), owner, SOURCE_EMAIL_SHARE)
    assert len(links_to(stack, owner)) == 5

    mine = submit_from(stack, fresh_source(), type="delete", email=owner).json()
    request_id, token = links_to(stack, owner)[-1]
    assert request_id == mine["request_id"]
    assert verify_from(stack, fresh_source(), request_id, token).status == 200


def test_asking_again_while_a_strangers_request_is_pending_reuses_its_link_and_sends_nothing(stack: Harness):
    owner = unique_email("owner")
    submit_from(stack, fresh_source(), type="access", email=owner)  # a stranger asks in the owner's name
    again = submit_from(stack, fresh_source(), type="access", email=owner)  # the owner asks
    assert again.status == 202
    ((request_id, token),) = links_to(stack, owner)  # one mail: the pending request's link
    assert verify_from(stack, fresh_source(), request_id, token).status == 200


def test_a_pending_request_whose_link_was_held_back_sends_it_when_the_owner_asks(stack: Harness):
    owner, stranger = unique_email("owner"), fresh_source()
    hammer_with_create_and_cancel(stack, stranger, owner, SOURCE_EMAIL_SHARE)
    left_open = submit_from(stack, stranger, type="access", email=owner)  # past its share: no link sent
    assert left_open.status == 202
    assert len(links_to(stack, owner)) == SOURCE_EMAIL_SHARE

    submit_from(stack, fresh_source(), type="access", email=owner)  # the owner, from their own address
    request_id, token = links_to(stack, owner)[-1]
    assert request_id == left_open.json()["request_id"]
    assert verify_from(stack, fresh_source(), request_id, token).status == 200


# ------------------------------------------------------------------ verify: guessing per source
def pending_requests(stack: Harness, count: int) -> list[tuple[str, str]]:
    """(request id, right token) of `count` requests, each for its own person (so no per-request or
    per-person lock is what stops the guessing)."""
    found = []
    for _ in range(count):
        email = unique_email("target")
        request_id = submit_from(stack, fresh_source(), type="access", email=email).json()["request_id"]
        found.append(links_to(stack, email)[-1])
        assert found[-1][0] == request_id
    return found


def guess_across(stack: Harness, source: str, requests: list[tuple[str, str]], guesses: int) -> list[str]:
    """Wrong secrets from one address, spread over the requests (4 each: under every request's lock)."""
    codes = []
    for n in range(guesses):
        request_id, _ = requests[(n // 4) % len(requests)]
        codes.append(verify_from(stack, source, request_id, f"guess-{n}").json()["error"]["code"])
    return codes


def test_guessing_from_one_address_across_many_requests_is_stopped_with_a_retry_after(stack: Harness):
    targets, guesser = pending_requests(stack, 5), fresh_source()
    assert guess_across(stack, guesser, targets, GUESSES_PER_SOURCE) == ["token_invalid"] * GUESSES_PER_SOURCE
    stopped = verify_from(stack, guesser, targets[0][0], "guess-more")
    assert (stopped.status, stopped.json()["error"]["code"]) == (429, "source_rate_limited")
    assert int(stopped.headers["retry-after"]) > 0


def test_a_stopped_address_is_refused_even_the_right_secret(stack: Harness):
    targets, guesser = pending_requests(stack, 5), fresh_source()
    guess_across(stack, guesser, targets, GUESSES_PER_SOURCE)
    request_id, token = targets[-1]
    refused = verify_from(stack, guesser, request_id, token)
    assert (refused.status, refused.json()["error"]["code"]) == (429, "source_rate_limited")


def test_another_address_still_verifies_while_a_guesser_is_stopped(stack: Harness):
    targets, guesser = pending_requests(stack, 5), fresh_source()
    guess_across(stack, guesser, targets, GUESSES_PER_SOURCE + 1)
    request_id, token = targets[-1]
    assert verify_from(stack, fresh_source(), request_id, token).status == 200


def test_the_right_secret_costs_the_address_no_guess(stack: Harness):
    targets, source = pending_requests(stack, 5), fresh_source()
    guess_across(stack, source, targets, GUESSES_PER_SOURCE - 1)
    request_id, token = targets[-1]
    assert verify_from(stack, source, request_id, token).status == 200  # its token is given back
    last = verify_from(stack, source, targets[0][0], "one-more-guess")
    assert (last.status, last.json()["error"]["code"]) == (400, "token_invalid")
