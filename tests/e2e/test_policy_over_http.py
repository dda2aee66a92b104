"""Policy versions, notices and the policy headers on the running stand-in, over real HTTP and SigV4."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.support.standin import RunningStack

pytestmark = pytest.mark.e2e


def _signed_call(running: RunningStack, method: str, path: str, body: Any = None) -> requests.Response:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{running.api}{path}"
    data = b"" if body is None else json.dumps(body).encode()
    request = AWSRequest(method=method, url=url, data=data, headers={"content-type": "application/json"})
    SigV4Auth(Credentials("testing", "testing"), "execute-api", running.info["region"]).add_auth(request)
    return requests.request(method, url, data=data, headers=dict(request.headers.items()), timeout=30)


def test_api_replies_link_the_policy_and_name_its_version_over_http(running: RunningStack):
    for path in ("/v1/policy", "/v1/health", "/v1/no-such-route", "/privacy"):
        reply = requests.get(f"{running.api}{path}", timeout=30)
        assert reply.links["privacy-policy"]["url"] == f"{running.api}/v1/policy"
        assert reply.headers["X-Privacy-Policy-Version"] == "2025-11-30"


def test_a_signed_admin_publishes_an_upcoming_version_that_the_page_announces(running: RunningStack):
    effective = datetime(2098, 1, 1, tzinfo=UTC) + timedelta(minutes=uuid.uuid4().int % 100_000)
    version = f"{effective:%Y-%m-%d}.{uuid.uuid4().hex[:6]}"
    draft = {
        "version": version,
        "last_updated": effective.date().isoformat(),
        "effective_at": effective.isoformat(),
        "significant": False,
        "summary": "Clearer wording.",
        "body": "# Privacy Policy\n\n## 1. Introduction\n\nClearer wording.\n",
    }
    assert requests.post(f"{running.api}/v1/admin/policy/versions", json=draft, timeout=30).status_code == 403
    published = _signed_call(running, "POST", "/v1/admin/policy/versions", draft)
    assert published.status_code == 201, published.text
    assert _signed_call(running, "POST", "/v1/admin/policy/versions", {**draft, "summary": "x"}).status_code == 409

    listed = requests.get(f"{running.api}/v1/policy/versions", timeout=30).json()
    assert {v["version"]: v["status"] for v in listed}[version] == "upcoming"
    assert f"/privacy/versions/{version}" in requests.get(f"{running.api}/privacy", timeout=30).text
    assert requests.get(f"{running.api}/v1/policy", timeout=30).json()["version"] == "2025-11-30"
