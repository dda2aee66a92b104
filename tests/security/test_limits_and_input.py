"""Observations 7 and 8 of issue 14: limits that counted spellings, not people; unlimited held
requests from one unregistered sender; bad input that was a 500 or accepted cross-site; replies
without nosniff; and a stand-in SigV4 check that trusted the signed body hash.
Controls: kernel/contacts.person_email, intake's held-entry merge, http_api/strict_json.py,
http/lazy_routers.py (nosniff), local/gateway.verify_sigv4."""

from __future__ import annotations

import hashlib
import json
import smtplib
import uuid

import pytest
import requests

from tests.security.attacker import TIMEOUT, signed, submit, verification_links
from tests.support.standin import RunningStack

pytestmark = pytest.mark.security


def _gmail_user() -> str:
    return f"pat{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------- limits count people
def test_plus_tags_dots_and_googlemail_are_one_person_for_duplicates(running: RunningStack):
    user = _gmail_user()
    first = f"{user[:3]}.{user[3:]}+one@gmail.com"
    others = [f"{user}+two@googlemail.com", f"{'.'.join(user)}@gmail.com", f"{user.upper()}@GMAIL.com"]
    for address in [first, *others]:
        assert submit(running, type="access", email=address).status_code == 202
    assert len(verification_links(running, first)) == 1  # mailed to the address as written
    for address in others:
        assert verification_links(running, address.lower()) == []


def test_the_daily_limit_counts_the_person_not_the_spelling(running: RunningStack):
    user = _gmail_user()
    for n in range(10):  # RequestConfig.source_submissions_per_person: one client names a person 10 times a day
        receipt = submit(running, type="access", email=f"{user}+{n}@gmail.com").json()
        cancelled = requests.post(
            f"{running.api}/v1/requests/{receipt['request_id']}/cancel",
            headers={"Authorization": f"Bearer {receipt['status_token']}"},
            timeout=TIMEOUT,
        )
        assert cancelled.status_code == 200
    eleventh = submit(running, type="access", email=f"{'.'.join(user)}@googlemail.com")
    assert (eleventh.status_code, eleventh.json()["error"]["code"]) == (429, "source_rate_limited")


def _mail_from(running: RunningStack, sender: str, subject: str) -> None:
    raw = (
        f"Authentication-Results: mx.example; spf=none; dkim=none; dmarc=none\r\nFrom: <{sender}>\r\n"
        f"To: privacy@example.com\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n\r\n'
        f"{subject}, please.\r\n"
    ).encode()
    with smtplib.SMTP(running.info["smtp"]["host"], running.info["smtp"]["port"], timeout=120) as client:
        client.ehlo()
        client.mail(sender)
        client.rcpt("privacy@example.com")
        code, _ = client.data(raw)
    assert code == 250


def test_repeated_mail_from_one_unregistered_sender_lands_on_one_held_entry(running: RunningStack):
    sender = f"stranger.{uuid.uuid4().hex[:8]}@example.org"
    for subject in ("Delete my data", "Send me a copy of my data", "Delete everything you hold on me"):
        _mail_from(running, sender, subject)
    running.drain()
    page = signed(running, "GET", "/v1/admin/requests?status=on_hold&limit=100").json()
    held = [r for r in page["items"] if r["subject"].get("email") == sender]
    assert len(held) == 1
    trail = signed(running, "GET", f"/v1/admin/requests/{held[0]['request_id']}").json()["audit"]
    assert [e["action"] for e in trail].count("email_received") == 2


# ---------------------------------------------------------------- bad input
def test_a_body_nested_100000_levels_deep_is_a_4xx_with_a_code(running: RunningStack):
    body = '{"type": "access", "details": ' + "[" * 100_000 + "]" * 100_000 + "}"
    reply = requests.post(
        f"{running.api}/v1/requests", data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )
    assert 400 <= reply.status_code < 500
    assert reply.json()["error"]["code"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_not_sent_as_application_json_is_415(running: RunningStack, content_type: str | None):
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps({"type": "access", "email": "someone@example.org"})
    reply = requests.post(f"{running.api}/v1/requests", data=body, headers=headers, timeout=TIMEOUT)
    assert (reply.status_code, reply.json()["error"]["code"]) == (415, "unsupported_media_type")


def test_a_json_body_sent_as_application_json_is_accepted(running: RunningStack):
    body = json.dumps({"type": "inquiry", "email": f"q.{uuid.uuid4().hex[:8]}@example.net", "details": "Hi?"})
    headers = {"Content-Type": "application/json; charset=utf-8"}
    assert requests.post(f"{running.api}/v1/requests", data=body, headers=headers, timeout=TIMEOUT).status_code == 202


@pytest.mark.parametrize("path", ["/v1/health", "/v1/requests/req_nope", "/v1/no-such-route"])
def test_json_replies_carry_nosniff(running: RunningStack, path: str):
    reply = requests.get(f"{running.api}{path}", timeout=TIMEOUT)
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


# ---------------------------------------------------------------- the stand-in's SigV4
def _note_path(running: RunningStack) -> str:
    request_id = submit(running, type="inquiry", email=f"n.{uuid.uuid4().hex[:8]}@example.net", details="Hi").json()
    return f"/v1/admin/requests/{request_id['request_id']}/note"


def test_a_captured_signed_request_replayed_with_another_body_is_refused(running: RunningStack):
    path = _note_path(running)
    signed_body = json.dumps({"text": "signed note"}).encode()
    captured = signed(
        running, "POST", path, signed_body, **{"X-Amz-Content-Sha256": hashlib.sha256(signed_body).hexdigest()}
    ).request.headers
    forged = json.dumps({"text": "forged note"}).encode()
    replay = requests.post(f"{running.api}{path}", data=forged, headers=dict(captured), timeout=TIMEOUT)
    assert replay.status_code == 403


def test_a_signed_request_with_its_own_body_hash_is_accepted(running: RunningStack):
    body = json.dumps({"text": "a note"}).encode()
    reply = signed(
        running, "POST", _note_path(running), body, **{"X-Amz-Content-Sha256": hashlib.sha256(body).hexdigest()}
    )
    assert reply.status_code == 200, reply.text
