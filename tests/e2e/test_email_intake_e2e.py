"""Emailed requests end to end: SMTP on the stand-in -> inbound bucket -> EmailIntakeFunction."""

from __future__ import annotations

import smtplib
import time
from typing import Any

import boto3
import pytest
import requests

from local.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

ANA = DEMO_ACCOUNTS[0]


def send(running: RunningStack, raw: bytes, sender: str) -> str:
    """Send over SMTP; returns the id the stand-in stored the message under (inbound/<id>)."""
    with smtplib.SMTP(running.info["smtp"]["host"], running.info["smtp"]["port"], timeout=120) as client:
        client.ehlo()
        assert client.mail(sender)[0] == 250
        assert client.rcpt("privacy@example.com")[0] == 250
        code, reply = client.data(raw)
    assert code == 250, reply
    return reply.decode().rsplit(" ", 1)[-1]


def signed_get(running: RunningStack, path: str, params: dict[str, str]) -> Any:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    prepared = requests.Request("GET", f"{running.api}{path}", params=params).prepare()
    request = AWSRequest(method="GET", url=prepared.url, headers={})
    SigV4Auth(Credentials("testing", "testing"), "execute-api", running.info["region"]).add_auth(request)
    reply = requests.get(str(prepared.url), headers=dict(request.headers.items()), timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def request_for(running: RunningStack, message_id: str, status: str) -> dict[str, Any]:
    page = signed_get(running, "/v1/admin/requests", {"status": status, "limit": "100"})
    found = [r for r in page["items"] if str(r.get("source_ref", "")).endswith(f"/inbound/{message_id}")]
    assert len(found) == 1, page
    return dict(found[0])


def email(auth: str, subject: str, body: str, reply_to: str | None = None) -> bytes:
    lines = [
        f"Authentication-Results: mx.example; {auth}",
        f"From: {ANA['name']} <{ANA['email']}>",
        "To: privacy@example.com",
        f"Subject: {subject}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
    ]
    if reply_to:
        lines.append(f"Reply-To: {reply_to}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def test_legitimate_deletion_email_waits_for_confirmation_at_the_registered_address(running: RunningStack):
    raw = email("spf=pass; dkim=pass; dmarc=pass", "Delete my data", "Hello, please delete all my personal data.")
    message_id = send(running, raw, ANA["email"])
    request = request_for(running, message_id, "pending_verification")
    assert request["type"] == "delete"
    assert request["channel"] == "email"
    assert request["trust"]["verified"] is True
    bucket = running.info["physical"]["InboundMailBucket"]
    assert request["source_ref"] == f"s3://{bucket}/inbound/{message_id}"
    confirmations = [
        m for m in running.outbox(to=ANA["email"]) if m["headers"].get("X-PrivacyDesk-Request") == request["request_id"]
    ]
    assert len(confirmations) == 1
    assert "/privacy/verify?" in confirmations[0]["text"]


def test_dmarc_failing_email_deletes_nothing_and_sends_nothing_to_reply_to(running: RunningStack):
    attacker = "helper@attacker.example"
    raw = email("spf=fail; dkim=fail; dmarc=fail", "Delete my data", "Delete my account now.", reply_to=attacker)
    message_id = send(running, raw, "bounce@attacker.example")
    request = request_for(running, message_id, "on_hold")
    assert request["type"] == "delete"
    assert request["verified_at"] is None
    assert "dmarc_fail" in request["trust"]["reasons"]
    assert running.outbox(to=attacker) == []
    assert not [m for m in running.outbox() if m["headers"].get("X-PrivacyDesk-Request") == request["request_id"]]
    dynamodb = boto3.client("dynamodb", region_name=running.info["region"], endpoint_url=running.info["endpoint_url"])
    account = dynamodb.get_item(
        TableName=running.info["physical"]["AccountsTable"], Key={"account_id": {"S": ANA["account_id"]}}
    )
    assert account["Item"]["email"]["S"] == ANA["email"]  # nothing was deleted


def test_the_dpo_closes_a_review_entry_with_the_cli(running: RunningStack):
    raw = (
        b"To: privacy@example.com\r\nSubject: Delete my data\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="utf-8"\r\n\r\nPlease delete my data.\r\n'
    )  # no From: nobody to confirm with, so it is listed for review
    entry_id = f"email_{send(running, raw, 'someone@example.org')}"
    code, shown = running.cli("review", "show", entry_id)
    for _ in range(60):
        if code == 0:
            break
        time.sleep(0.5)
        code, shown = running.cli("review", "show", entry_id)
    assert code == 0, shown
    assert (shown["reason"], shown["resolved"]) == ("missing_from", False)

    code, closed = running.cli("review", "resolve", entry_id, "--outcome", "dismissed", "--note", "no sender to answer")
    assert code == 0, closed
    assert closed["resolution"]["outcome"] == "dismissed"
    assert running.cli("review", "show", entry_id)[1]["resolved"] is True
    code, again = running.cli("review", "resolve", entry_id, "--outcome", "answered", "--note", "twice")
    assert (code, again["error"]["code"]) == (1, "review_already_resolved")
