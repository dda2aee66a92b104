"""Bad input to the request routes gets a 4xx with a machine-readable code, never a 5xx."""

from __future__ import annotations

import json

import pytest

from tests.support.flows import unique_email
from tests.support.harness import Harness

pytestmark = pytest.mark.integration

CASES = {
    "no type": {"email": "a@example.org"},
    "unknown type": {"type": "erase-everything", "email": "a@example.org"},
    "type not a string": {"type": 7, "email": "a@example.org"},
    "no contact": {"type": "access"},
    "bad email": {"type": "access", "email": "not-an-email"},
    "email is a list": {"type": "access", "email": ["a@example.org"]},
    "bad phone": {"type": "access", "phone": "12"},
    "phone letters": {"type": "access", "phone": "call me maybe"},
    "unknown field": {"type": "access", "email": "a@example.org", "admin": True},
    "update without corrections": {"type": "update", "email": "a@example.org"},
    "corrections on delete": {"type": "delete", "email": "a@example.org", "corrections": {"name": "x"}},
    "object without purposes": {"type": "object", "email": "a@example.org"},
    "corrections not a map": {"type": "update", "email": "a@example.org", "corrections": ["name"]},
    "bad correction field": {"type": "update", "email": "a@example.org", "corrections": {"Name; DROP TABLE": "x"}},
    "oversized details": {"type": "inquiry", "email": "a@example.org", "details": "x" * 6000},
    "too many purposes": {"type": "object", "email": "a@example.org", "purposes": [f"p{i}" for i in range(11)]},
    "injection in type": {"type": "access' OR '1'='1", "email": "a@example.org"},
    "script in email": {"type": "access", "email": "<script>alert(1)</script>@example.org"},
    "null bytes": {"type": "access", "email": "a\u0000@example.org"},
    "right-to-left override": {"type": "access", "email": "a\u202e@example.org"},
    "body is a list": [],
    "body is a number": 42,
}


@pytest.mark.parametrize("body", CASES.values(), ids=CASES.keys())
def test_bad_request_bodies_get_a_4xx_with_a_code(stack: Harness, body):
    reply = stack.http("POST", "/v1/requests", raw_body=json.dumps(body).encode())
    assert 400 <= reply.status < 500, reply.body
    assert reply.json()["error"]["code"]


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"\xff\xfe\x00", b'{"type": "access", "email": "a@example.org"', '{"type": "ácçéss"}'.encode()],
    ids=["broken json", "empty", "binary", "truncated", "odd unicode type"],
)
def test_unparseable_bodies_get_a_4xx(stack: Harness, raw: bytes):
    reply = stack.http("POST", "/v1/requests", raw_body=raw, headers={"content-type": "application/json"})
    assert 400 <= reply.status < 500, reply.body
    assert reply.json()["error"]["code"]


def test_names_in_other_scripts_are_accepted(stack: Harness):
    reply = stack.http(
        "POST", "/v1/requests", {"type": "access", "email": unique_email(), "name": "Juan dela Cruz 山田 Ñoño"}
    )
    assert reply.status == 202


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/requests/req_x/verify", {}),
        ("POST", "/v1/requests/req_x/verify", {"token": ""}),
        ("POST", "/v1/requests/req_x/verify", {"token": "t" * 500}),
        ("POST", "/v1/requests/req_x/verify", {"token": "abc"}),
        ("GET", "/v1/requests/..%2F..%2Fetc", None),
        ("POST", "/v1/requests/req_x/cancel", None),
    ],
)
def test_bad_ids_and_tokens_get_a_4xx(stack: Harness, method: str, path: str, body):
    reply = stack.http(method, path, body)
    assert 400 <= reply.status < 500, reply.body
    assert reply.json()["error"]["code"]
