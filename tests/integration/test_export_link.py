"""The Access export's download link: the completion email carries a secret for our API, and
following it redirects to the export signed for a few minutes (the real public and fulfilment
handlers under mock_aws, driven end to end: submit -> verify -> fulfil -> email -> link)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests

from tests.support.flows import submit_and_verify
from tests.support.fulfilment import drain_fulfilment, new_account
from tests.support.harness import Harness, HttpReply

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Export:
    request_id: str
    secret: str
    email: dict[str, Any]


def _fulfilled_access(stack: Harness) -> Export:
    person = new_account(stack, messages=2)
    receipt = submit_and_verify(stack, type="access", email=person["email"])
    drain_fulfilment(stack)
    (email,) = [m for m in stack.outbox(to=person["email"]) if m["subject"] == "Your privacy request is complete"]
    link = re.search(r"Download it here .*?: (\S+)", email["text"]).group(1)  # type: ignore[union-attr]
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == "http://127.0.0.1:3000"  # PUBLIC_BASE_URL: our API, not S3
    assert parts.path == f"/v1/requests/{receipt['request_id']}/export"
    (secret,) = parse_qs(parts.query)["token"]
    return Export(request_id=receipt["request_id"], secret=secret, email=email)


@pytest.fixture(scope="module")
def export(stack: Harness) -> Export:
    return _fulfilled_access(stack)


def follow(stack: Harness, request_id: str, secret: str) -> HttpReply:
    return stack.http("GET", f"/v1/requests/{request_id}/export", query=f"token={secret}")


def error_code(reply: HttpReply) -> str:
    code: str = reply.json()["error"]["code"]
    return code


def test_the_completion_email_holds_a_link_to_our_api_and_no_s3_url(export: Export):
    text = export.email["text"]  # the HTML part is rendered from the same message
    assert "amazonaws.com" not in text
    assert "X-Amz-" not in text
    assert f"/v1/requests/{export.request_id}/export?token=" in text


def test_the_followed_link_redirects_to_a_five_minute_url_that_downloads_the_zip(stack: Harness, export: Export):
    reply = follow(stack, export.request_id, export.secret)
    assert reply.status == 302, reply.body
    assert reply.headers["cache-control"] == "no-store"
    location = reply.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert urlsplit(location).path.endswith(f"exports/{export.request_id}/personal-data.zip")

    download = requests.get(location, timeout=30)  # moto answers the presigned GET
    assert download.status_code == 200
    bundle = zipfile.ZipFile(io.BytesIO(download.content))
    assert "README.txt" in bundle.namelist()
    assert len(bundle.read("message_logs.json")) > 2

    again = follow(stack, export.request_id, export.secret)  # the link works as often as needed
    assert again.status == 302


def test_only_the_secrets_hash_is_stored(stack: Harness, export: Export):
    item = boto3.client("dynamodb").get_item(
        TableName=stack.physical("VerificationTokensTable"), Key={"token_id": {"S": f"export#{export.request_id}"}}
    )["Item"]
    assert export.secret not in str(item)
    assert item["object_key"]["S"] == f"exports/{export.request_id}/personal-data.zip"
    valid_until = datetime.fromisoformat(item["valid_until"]["S"].replace("Z", "+00:00"))
    assert timedelta(days=6, hours=23) < valid_until - datetime.now(UTC) <= timedelta(days=7)


@pytest.mark.parametrize(
    "secret",
    ["wrong-secret", "", "a" * 43],
    ids=["wrong", "empty", "same-length"],
)
def test_a_wrong_secret_is_not_found(stack: Harness, export: Export, secret: str):
    reply = follow(stack, export.request_id, secret)
    assert reply.status in (404, 422), reply.body
    assert "location" not in reply.headers
    assert error_code(reply) == ("export_not_found" if secret else "invalid_request")


def test_a_request_without_an_export_is_not_found(stack: Harness, export: Export):
    reply = follow(stack, "req_00000000000000000000000000000000", export.secret)
    assert (reply.status, error_code(reply)) == (404, "export_not_found")


def test_another_requests_secret_does_not_open_this_export(stack: Harness, export: Export):
    other = _fulfilled_access(stack)
    assert follow(stack, other.request_id, other.secret).status == 302
    reply = follow(stack, other.request_id, export.secret)
    assert (reply.status, error_code(reply)) == (404, "export_not_found")
    reply = follow(stack, export.request_id, other.secret)
    assert (reply.status, error_code(reply)) == (404, "export_not_found")


def test_the_link_expires_after_export_link_days(stack: Harness, export: Export, monkeypatch: pytest.MonkeyPatch):
    from privacydesk.fulfilment.entry import export_routes

    later = datetime.now(UTC) + timedelta(days=7, minutes=1)
    monkeypatch.setattr(export_routes, "utc_now", lambda: later)
    reply = follow(stack, export.request_id, export.secret)
    assert (reply.status, error_code(reply)) == (410, "export_expired")
    assert "location" not in reply.headers
    # without the secret, an expired link says no more than a wrong one
    reply = follow(stack, export.request_id, "wrong-secret")
    assert (reply.status, error_code(reply)) == (404, "export_not_found")


def test_wrong_secrets_from_a_stranger_never_lock_the_link(stack: Harness):
    export = _fulfilled_access(stack)
    for _ in range(6):
        assert error_code(follow(stack, export.request_id, "guess")) == "export_not_found"
    assert follow(stack, export.request_id, export.secret).status == 302


def test_the_dpo_reissues_a_link_that_works_where_the_old_one_no_longer_does(stack: Harness):
    from tests.support.harness import ADMIN_IDENTITY

    fresh = _fulfilled_access(stack)
    reply = stack.http("POST", f"/v1/admin/requests/{fresh.request_id}/reissue-export", identity=ADMIN_IDENTITY)
    assert reply.status == 200, reply.body
    (mail,) = [
        m for m in stack.outbox() if "Here is a new link to your copy" in m["text"] and fresh.request_id in m["text"]
    ]
    link = re.search(r"(https?://\S+/export\?token=\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    assert link.startswith("http://127.0.0.1:3000/"), "absolute, where the call came in"
    (secret,) = parse_qs(urlsplit(link).query)["token"]
    assert follow(stack, fresh.request_id, secret).status == 302
    assert follow(stack, fresh.request_id, fresh.secret).status == 404


def test_a_reissued_link_for_a_phone_verified_request_is_texted_from_the_outbox(stack: Harness):
    import random

    from tests.support.fulfilment import sms_code, sms_to
    from tests.support.harness import ADMIN_IDENTITY

    phone = f"+6591{random.randrange(10**6):06d}"  # a number nobody else in the run uses
    receipt = stack.http("POST", "/v1/requests", {"type": "access", "phone": phone}).json()
    verified = stack.http("POST", f"/v1/requests/{receipt['request_id']}/verify", {"token": sms_code(stack, phone)})
    assert verified.status == 200, verified.body
    drain_fulfilment(stack)

    reply = stack.http("POST", f"/v1/admin/requests/{receipt['request_id']}/reissue-export", identity=ADMIN_IDENTITY)
    assert reply.status == 200, reply.body
    (text,) = [t for t in sms_to(stack, phone) if "a new link to your data copy" in t]
    (link,) = re.findall(r"https?://\S+/export\?token=\S+", text)
    (secret,) = parse_qs(urlsplit(link).query)["token"]
    assert follow(stack, receipt["request_id"], secret).status == 302
