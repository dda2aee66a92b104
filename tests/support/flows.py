"""Helpers for request flows: submit, read the verification link from the outbox, verify."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.harness import ADMIN_IDENTITY, Harness, HttpReply


def unique_email(prefix: str = "person") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


def verification_token(stack: Harness, to: str, request_id: str) -> str:
    """The token from the newest verification email for this request."""
    for message in reversed(stack.outbox(to=to)):
        found = re.search(r"(https?://\S+/privacy/verify\?\S+)", message["text"])
        if found:
            query = parse_qs(urlsplit(found.group(1)).query)
            if query.get("request") == [request_id]:
                return query["token"][0]
    raise AssertionError(f"no verification link for {request_id} in the outbox")


def submit(stack: Harness, **body: Any) -> HttpReply:
    return stack.http("POST", "/v1/requests", body)


def submit_and_verify(stack: Harness, **body: Any) -> dict[str, Any]:
    reply = submit(stack, **body)
    assert reply.status == 202, reply.body
    receipt = reply.json()
    token = verification_token(stack, body["email"], receipt["request_id"])
    verified = stack.http("POST", f"/v1/requests/{receipt['request_id']}/verify", {"token": token})
    assert verified.status == 200, verified.body
    return receipt


def admin(stack: Harness, method: str, path: str, body: Any = None, query: str = "") -> HttpReply:
    return stack.http(method, path, body, identity=ADMIN_IDENTITY, query=query)
