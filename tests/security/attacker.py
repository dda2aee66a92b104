"""What an attacker (and the genuine requester) can do against the stand-in: plain HTTP to the
public API, reading their own mailbox or phone (the stand-in's outbox), and, for the DPO, signed
admin calls. Nothing here reaches into the stand-in's process or tables."""

from __future__ import annotations

import http.client
import io
import json
import random
import re
import time
import uuid
import zipfile
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import HTTPAdapter

from tests.support.standin import RunningStack

TIMEOUT = 30
LINK = re.compile(r"(https?://\S+/privacy/verify\?\S+)")
DOWNLOAD = re.compile(r"(https?://\S+/v1/requests/req_[0-9a-f]+/export\?token=[A-Za-z0-9_-]+)")
CODE = re.compile(r"code is (\d{6})")


def mailbox(prefix: str = "sec") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.net"


def fresh_phone() -> str:
    return f"+63917{uuid.uuid4().int % 10_000_000:07d}"


# The address a test submits from (tests/security/conftest.py gives each test its own loopback
# address, as separate people have): per-source limits count what that test does.
_submitting_from = ["127.0.0.1"]


def submit_from(address: str) -> None:
    _submitting_from[0] = address


def submit(running: RunningStack, **body: Any) -> requests.Response:
    with requests.Session() as client:
        client.mount("http://", _FromAddress(_submitting_from[0]))
        return client.post(f"{running.api}/v1/requests", json=body, timeout=TIMEOUT)


def inbox(running: RunningStack, to: str, channel: str = "email") -> list[dict[str, Any]]:
    return [m for m in running.outbox(to=to) if m.get("channel") == channel]


def verification_links(running: RunningStack, to: str) -> list[tuple[str, str]]:
    """(request id, token) of every verification link mailed to `to`, oldest first."""
    found = []
    for message in inbox(running, to):
        if link := LINK.search(message["text"]):
            query = parse_qs(urlsplit(link.group(1)).query)
            found.append((query["request"][0], query["token"][0]))
    return found


def sms_codes(running: RunningStack, phone: str) -> list[str]:
    return [code.group(1) for m in inbox(running, phone, "sms") if (code := CODE.search(m["text"]))]


class _FromAddress(HTTPAdapter):
    """Connections from one local address: another client, as API Gateway's sourceIp sees it."""

    def __init__(self, source_ip: str) -> None:
        self.source_ip = source_ip
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source_ip, 0)
        super().init_poolmanager(*args, **kwargs)


def fresh_loopback() -> str:
    """A loopback address of its own (all of 127.0.0.0/8 reaches the stand-in on 127.0.0.1)."""
    return f"127.{random.randint(100, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def verify(running: RunningStack, request_id: str, token: str, source: str | None = None) -> requests.Response:
    """A verification attempt from `source`, or else from a loopback address of its own: verify is
    throttled per source (tests of that name their source), which tests of other controls stay clear of."""
    with requests.Session() as client:
        client.mount("http://", _FromAddress(source or fresh_loopback()))
        return client.post(f"{running.api}/v1/requests/{request_id}/verify", json={"token": token}, timeout=TIMEOUT)


def wait_for(
    running: RunningStack, to: str, pattern: re.Pattern[str], channel: str = "email", *, other_than: str = ""
) -> str:
    """The newest match of `pattern` in what `to` received, other than `other_than` (bounded wait:
    fulfilment and the outbox run async)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running.drain()
        for message in reversed(inbox(running, to, channel)):
            if (found := pattern.search(message["text"])) and found.group(1) != other_than:
                return found.group(1)
        time.sleep(0.5)
    raise AssertionError(f"nothing matching {pattern.pattern} reached the {channel} of the recipient")


def download_link(running: RunningStack, to: str, channel: str = "email", *, other_than: str = "") -> str:
    return wait_for(running, to, DOWNLOAD, channel, other_than=other_than)


def export_text(link: str) -> str:
    """Every file of the export the link leads to, as one text."""
    redirect = requests.get(link, allow_redirects=False, timeout=TIMEOUT)
    assert redirect.status_code == 302, redirect.text
    archive = zipfile.ZipFile(io.BytesIO(requests.get(redirect.headers["Location"], timeout=TIMEOUT).content))
    return "\n".join(archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist())


def from_source(running: RunningStack, source_ip: str, path: str) -> tuple[int, dict[str, Any]]:
    """A GET from another loopback address (another client, as API Gateway's sourceIp sees it)."""
    api = urlsplit(running.api)
    host = api.hostname or ""
    connection = http.client.HTTPConnection(host, api.port, timeout=TIMEOUT, source_address=(source_ip, 0))
    try:
        connection.request("GET", path)
        reply = connection.getresponse()
        body = reply.read()
        return reply.status, json.loads(body) if body else {}
    finally:
        connection.close()


def signed(running: RunningStack, method: str, path: str, body: bytes = b"", **headers: str) -> requests.Response:
    """A DPO's SigV4-signed admin call (the stand-in's local credentials)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{running.api}{path}"
    request = AWSRequest(method=method, url=url, data=body, headers={"content-type": "application/json", **headers})
    SigV4Auth(Credentials("testing", "testing"), "execute-api", running.info["region"]).add_auth(request)
    return requests.request(method, url, data=body, headers=dict(request.headers.items()), timeout=TIMEOUT)


def admin_view(running: RunningStack, request_id: str) -> dict[str, Any]:
    reply = signed(running, "GET", f"/v1/admin/requests/{request_id}")
    assert reply.status_code == 200, reply.text
    view: dict[str, Any] = reply.json()["request"]
    return view


def finished(running: RunningStack, request_id: str) -> dict[str, Any]:
    """The request once fulfilment is done with it (bounded wait)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running.drain()
        view = admin_view(running, request_id)
        if view["status"] in ("completed", "denied", "failed"):
            return view
        time.sleep(0.5)
    raise AssertionError(f"request {request_id} was not fulfilled")
