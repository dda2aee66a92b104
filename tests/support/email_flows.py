"""Helpers for emailed requests: register an account, deliver raw mail the way SES does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.smtp import INBOUND_PREFIX, ses_event
from privacydesk.datamap.adapters.reference_stores import AccountRecord
from tests.support.flows import admin
from tests.support.harness import Harness

CORPUS = Path(__file__).resolve().parents[1] / "data" / "emails"
PASSING = "Authentication-Results: mx.example; spf=pass; dkim=pass; dmarc=pass"
DMARC_FAIL = "Authentication-Results: mx.example; spf=fail; dkim=fail; dmarc=fail"


def register_account(email: str) -> str:
    account_id = f"acct-{uuid.uuid4().hex[:10]}"
    AccountRecord(
        account_id=account_id,
        name="Test Person",
        email=email.lower(),
        status="active",
        created_at=datetime.now(UTC),
    ).save()
    return account_id


def compose(
    sender: str,
    subject: str,
    body: str,
    *,
    auth: str | None = PASSING,
    reply_to: str | None = None,
    extra_headers: str = "",
) -> bytes:
    headers = [f"From: Someone <{sender}>", "To: privacy@example.com", f"Subject: {subject}"]
    if auth:
        headers.insert(0, auth)
    if reply_to:
        headers.append(f"Reply-To: <{reply_to}>")
    headers += ["MIME-Version: 1.0", 'Content-Type: text/plain; charset="utf-8"']
    text = "\r\n".join(headers) + "\r\n" + extra_headers + "\r\n" + body.replace("\n", "\r\n") + "\r\n"
    return text.encode()


def corpus_as(name: str, sender: str) -> bytes:
    """A corpus message, sent by `sender` instead of the demo address it was written with."""
    return (CORPUS / name).read_bytes().replace(b"ana.santos@example.com", sender.encode())


def ses_event_for(stack: Harness, raw: bytes, message_id: str, **verdicts: str) -> dict[str, Any]:
    event = ses_event(
        raw,
        message_id,
        ["privacy@example.com"],
        "bounce@example.org",
        stack.physical("InboundMailBucket"),
        stack.stack.region,
        stack.stack.account,
    )
    receipt = event["Records"][0]["ses"]["receipt"]
    for name, status in verdicts.items():
        receipt[f"{name}Verdict"] = {"status": status}
    return event


def deliver(stack: Harness, raw: bytes, message_id: str | None = None, **verdicts: str) -> dict[str, Any]:
    """Store the raw message as SES's S3 action would, then invoke email intake as its Lambda action."""
    import boto3

    message_id = message_id or uuid.uuid4().hex
    boto3.client("s3").put_object(
        Bucket=stack.physical("InboundMailBucket"), Key=f"{INBOUND_PREFIX}{message_id}", Body=raw
    )
    result = stack.invoke("EmailIntakeFunction", ses_event_for(stack, raw, message_id, **verdicts))
    (outcome,) = result["results"]
    return dict(outcome)


def request_detail(stack: Harness, request_id: str) -> dict[str, Any]:
    reply = admin(stack, "GET", f"/v1/admin/requests/{request_id}")
    assert reply.status == 200, reply.body
    detail: dict[str, Any] = reply.json()
    return detail


def in_admin_queue(stack: Harness, status: str, request_id: str) -> bool:
    cursor = ""
    for _ in range(50):
        query = f"status={status}&limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = admin(stack, "GET", "/v1/admin/requests", query=query).json()
        if any(item["request_id"] == request_id for item in page["items"]):
            return True
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return False
    return False


def review_entries(stack: Harness) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(50):
        query = "limit=100" + (f"&cursor={cursor}" if cursor else "")
        reply = admin(stack, "GET", "/v1/admin/review", query=query)
        assert reply.status == 200, reply.body
        page = reply.json()
        entries += page["items"]
        cursor = page.get("next_cursor") or ""
        if not cursor:
            break
    return entries
