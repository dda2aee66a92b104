"""A data-rights request on the running stand-in: submit -> outbox -> verify -> admin approve -> status."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e


def test_submit_verify_approve_and_follow(running: RunningStack):
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.org"
    reply = requests.post(
        f"{running.api}/v1/requests",
        json={"type": "update", "email": email, "corrections": {"company": "New Co"}},
        timeout=30,
    )
    assert reply.status_code == 202, reply.text
    receipt = reply.json()

    (message,) = running.outbox(to=email)
    link = re.search(r"(http\S+/privacy/verify\?\S+)", message["text"]).group(1)
    assert link.startswith(running.api)
    query = parse_qs(urlsplit(link).query)
    assert query["request"] == [receipt["request_id"]]
    verified = requests.post(
        f"{running.api}/v1/requests/{receipt['request_id']}/verify", json={"token": query["token"][0]}, timeout=30
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "verified"

    code, queue = running.cli("requests", "list", "--status", "verified", "--limit", "100")
    assert code == 0
    assert receipt["request_id"] in {item["request_id"] for item in queue["items"]}
    code, approved = running.cli("requests", "approve", receipt["request_id"])
    assert code == 0, approved
    assert approved["request"]["approved_by"].endswith(":user/local-admin")

    status = requests.get(
        f"{running.api}/v1/requests/{receipt['request_id']}",
        headers={"Authorization": f"Bearer {receipt['status_token']}"},
        timeout=30,
    )
    assert status.status_code == 200
    assert status.json()["verified_at"]
    code, chain = running.cli("audit", "verify", receipt["request_id"])
    assert code == 0
    assert chain["valid"] is True


def test_the_cli_reports_a_missing_request(running: RunningStack):
    code, body = running.cli("requests", "show", "req_does_not_exist")
    assert code == 1
    assert body["error"]["code"] == "request_not_found"
