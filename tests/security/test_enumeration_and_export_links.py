"""Observations 5 and 6 of issue 14: replies that revealed other people's requests, and export
links a stranger could lock. Controls: intake.caller_receipt (a duplicate gets a fresh receipt),
uniform errors in intake.verify / intake.authorised / export_links.open_export, per-source throttle
of wrong download links, and the DPO's reissue (admin route + `privacydesk requests reissue-export`)."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.seed import DEMO_ACCOUNTS
from tests.security.attacker import (
    TIMEOUT,
    admin_view,
    download_link,
    from_source,
    mailbox,
    signed,
    submit,
    verification_links,
    verify,
)
from tests.support.standin import RunningStack

pytestmark = pytest.mark.security


def _unknown_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def _seen(reply: requests.Response) -> tuple[int, object]:
    return reply.status_code, reply.json()


@dataclass(frozen=True)
class Export:
    request_id: str
    owner: str
    link: str

    @property
    def path(self) -> str:
        parts = urlsplit(self.link)
        return f"{parts.path}?{parts.query}"

    @property
    def secret(self) -> str:
        return parse_qs(urlsplit(self.link).query)["token"][0]


@pytest.fixture(scope="module")
def export(running: RunningStack) -> Export:
    owner = mailbox("owner")
    assert submit(running, type="access", email=owner).status_code == 202
    ((request_id, token),) = verification_links(running, owner)
    assert verify(running, request_id, token).status_code == 200
    return Export(request_id, owner, download_link(running, owner))


# ---------------------------------------------------------------- submission replies
def test_a_duplicate_submission_never_returns_the_open_requests_id(running: RunningStack):
    victim = mailbox("victim")
    original = submit(running, type="delete", email=victim).json()
    probe = submit(running, type="delete", email=victim).json()
    assert probe["request_id"] != original["request_id"]
    assert probe["status_token"] != original["status_token"]


def test_the_reply_looks_the_same_for_unknown_registered_and_already_open_addresses(running: RunningStack):
    open_address = mailbox("open")
    submit(running, type="object", email=open_address, purposes=["marketing"])
    shapes = set()
    for address in (mailbox("unknown"), DEMO_ACCOUNTS[2]["email"], open_address):
        reply = submit(running, type="object", email=address, purposes=["marketing"])
        body = reply.json()
        shapes.add((reply.status_code, tuple(sorted(body)), body["status"], len(body["request_id"])))
    assert len(shapes) == 1, shapes


def _status(running: RunningStack, receipt: dict[str, str]) -> requests.Response:
    return requests.get(
        f"{running.api}/v1/requests/{receipt['request_id']}",
        headers={"Authorization": f"Bearer {receipt['status_token']}"},
        timeout=TIMEOUT,
    )


def test_following_a_duplicates_receipt_reads_like_following_a_new_request(running: RunningStack):
    victim = mailbox("victim")
    original = submit(running, type="access", email=victim).json()
    probe = submit(running, type="access", email=victim).json()
    genuine, decoy = _status(running, original), _status(running, probe)
    assert (decoy.status_code, decoy.json()["status"]) == (genuine.status_code, genuine.json()["status"])
    assert set(decoy.json()) == set(genuine.json())


def test_cancelling_a_duplicates_receipt_leaves_the_open_request_alone(running: RunningStack):
    owner = mailbox("owner")
    submit(running, type="delete", email=owner)
    probe = submit(running, type="delete", email=owner).json()
    cancelled = requests.post(
        f"{running.api}/v1/requests/{probe['request_id']}/cancel",
        headers={"Authorization": f"Bearer {probe['status_token']}"},
        timeout=TIMEOUT,
    )
    assert cancelled.json()["status"] == "cancelled"
    ((request_id, token),) = verification_links(running, owner)
    assert verify(running, request_id, token).json()["status"] == "verified"


def test_the_genuine_owner_still_reaches_their_request_through_the_mailed_link(running: RunningStack):
    owner = mailbox("owner")
    submit(running, type="access", email=owner)
    submit(running, type="access", email=owner)  # a stranger (or the owner) asks again
    ((request_id, token),) = verification_links(running, owner)
    assert verify(running, request_id, token).json()["status"] == "verified"


# ---------------------------------------------------------------- unknown ids vs wrong secrets
def test_verify_answers_an_unknown_id_and_a_wrong_token_alike_even_past_the_lock(running: RunningStack):
    real = submit(running, type="access", email=mailbox("victim")).json()["request_id"]
    unknown = _unknown_id()
    for n in range(7):
        assert _seen(verify(running, real, f"guess-{n}")) == _seen(verify(running, unknown, f"guess-{n}"))


def test_status_and_cancel_answer_an_unknown_id_and_a_wrong_token_alike(running: RunningStack):
    real = submit(running, type="access", email=mailbox("victim")).json()["request_id"]
    unknown = _unknown_id()
    wrong = {"Authorization": "Bearer not-the-token"}
    for method, suffix in (("GET", ""), ("POST", "/cancel")):
        seen = [
            _seen(requests.request(method, f"{running.api}/v1/requests/{rid}{suffix}", headers=wrong, timeout=TIMEOUT))
            for rid in (real, unknown)
        ]
        assert seen[0] == seen[1]
        assert seen[0][0] == 404


def test_export_answers_an_unknown_id_and_a_wrong_secret_alike(running: RunningStack, export: Export):
    known = from_source(running, "127.0.0.3", f"/v1/requests/{export.request_id}/export?token=wrong")
    unknown = from_source(running, "127.0.0.3", f"/v1/requests/{_unknown_id()}/export?token=wrong")
    assert known == unknown
    assert known[0] == 404


def _median_seconds(call: Callable[[], object], times: int = 9) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def test_verify_takes_roughly_as_long_for_an_unknown_id_as_for_a_wrong_token(running: RunningStack):
    real = submit(running, type="access", email=mailbox("victim")).json()["request_id"]
    unknown = _unknown_id()
    known_time = _median_seconds(lambda: verify(running, real, "guess"))
    unknown_time = _median_seconds(lambda: verify(running, unknown, "guess"))
    assert abs(known_time - unknown_time) < max(0.05, 0.5 * max(known_time, unknown_time))


# ---------------------------------------------------------------- export links
def test_the_download_secret_carries_at_least_128_bits(export: Export):
    assert len(export.secret) * 6 >= 128  # base64url: 6 bits a character


def test_a_stranger_guessing_secrets_cannot_lock_the_owner_out(running: RunningStack, export: Export):
    guesses = [
        from_source(running, "127.0.0.4", f"/v1/requests/{export.request_id}/export?token=guess{n}")[0]
        for n in range(25)
    ]
    assert set(guesses[:20]) == {404}
    assert set(guesses[20:]) == {429}  # the stranger's address is throttled...
    owner = requests.get(export.link, allow_redirects=False, timeout=TIMEOUT)
    assert owner.status_code == 302  # ...the owner, elsewhere, is not


def test_a_throttled_source_is_refused_for_unknown_links_too(running: RunningStack):
    for n in range(20):
        from_source(running, "127.0.0.5", f"/v1/requests/{_unknown_id()}/export?token=guess{n}")
    status, body = from_source(running, "127.0.0.5", f"/v1/requests/{_unknown_id()}/export?token=again")
    assert (status, body["error"]["code"]) == (429, "too_many_attempts")


def test_the_dpo_reissues_the_link_with_the_cli_and_the_old_one_stops_working(running: RunningStack, export: Export):
    code, _ = running.cli("requests", "reissue-export", export.request_id)
    assert code == 0
    fresh = download_link(running, export.owner, other_than=export.link)
    assert requests.get(fresh, allow_redirects=False, timeout=TIMEOUT).status_code == 302
    assert from_source(running, "127.0.0.6", export.path)[0] == 404
    trail = signed(running, "GET", f"/v1/admin/requests/{export.request_id}").json()["audit"]
    assert any(event["action"] == "export_link_reissued" for event in trail)
    assert admin_view(running, export.request_id)["status"] == "completed"
