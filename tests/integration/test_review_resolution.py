"""The DPO closes review entries: what became of an inbound message that did not become a request on
its own (a request was created, it was answered, or it was dismissed), recorded with who and why."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.email_flows import compose, deliver, register_account, review_entries
from tests.support.flows import admin, submit, unique_email
from tests.support.harness import ADMIN_IDENTITY, Harness

pytestmark = pytest.mark.integration


def _spam_entry(stack: Harness) -> str:
    email = unique_email("review")
    register_account(email)
    outcome = deliver(stack, compose(email, "WIN A PRIZE", "Click here to claim."), spam="FAIL")
    assert outcome["outcome"] == "review"
    return f"email_{outcome['message_id']}"


def _nameless_entry(stack: Harness) -> str:
    raw = compose("x@example.org", "Delete my data", "Please delete my data.").replace(
        b"From: Someone <x@example.org>\r\n", b""
    )
    outcome = deliver(stack, raw)
    assert outcome["reason"] == "missing_from"
    return f"email_{outcome['message_id']}"


def _open_ids(stack: Harness) -> set[str]:
    return {entry["entry_id"] for entry in review_entries(stack)}


def _resolve(stack: Harness, entry_id: str, **body: Any) -> Any:
    return admin(stack, "POST", f"/v1/admin/review/{entry_id}/resolve", body)


def test_a_dismissed_entry_leaves_the_open_list_and_keeps_who_and_why(stack: Harness):
    entry_id = _spam_entry(stack)
    assert entry_id in _open_ids(stack)
    reply = _resolve(stack, entry_id, outcome="dismissed", note="prize spam, no right asked for")
    assert reply.status == 200, reply.body
    resolution = reply.json()["resolution"]
    assert resolution["outcome"] == "dismissed"
    assert resolution["resolved_by"] == ADMIN_IDENTITY["userArn"]
    assert entry_id not in _open_ids(stack)
    stored = admin(stack, "GET", f"/v1/admin/review/{entry_id}").json()
    assert stored["resolved"] is True
    assert stored["resolution"]["note"] == "prize spam, no right asked for"


def test_an_entry_is_resolved_once(stack: Harness):
    entry_id = _spam_entry(stack)
    assert _resolve(stack, entry_id, outcome="dismissed", note="spam").status == 200
    again = _resolve(stack, entry_id, outcome="answered", note="second thoughts")
    assert again.status == 409
    assert again.json()["error"]["code"] == "review_already_resolved"
    assert admin(stack, "GET", f"/v1/admin/review/{entry_id}").json()["resolution"]["outcome"] == "dismissed"


def test_a_request_created_for_an_entry_is_linked_to_it(stack: Harness):
    entry_id = _nameless_entry(stack)
    created = submit(stack, type="delete", email=unique_email("asked-again"))
    assert created.status == 202, created.body
    request_id = created.json()["request_id"]
    reply = _resolve(
        stack, entry_id, outcome="request_created", note="sender asked again by form", request_id=request_id
    )
    assert reply.status == 200, reply.body
    assert reply.json()["resolution"]["request_id"] == request_id


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"outcome": "request_created", "note": "no id"}, 400, "request_id_required"),
        ({"outcome": "dismissed", "note": "stray id", "request_id": "req_" + "0" * 32}, 400, "request_id_unexpected"),
        ({"outcome": "request_created", "note": "unknown", "request_id": "req_" + "f" * 32}, 404, "request_not_found"),
        ({"outcome": "dismissed", "note": ""}, 422, "invalid_request"),
        ({"outcome": "forgotten", "note": "not an outcome"}, 422, "invalid_request"),
        ({"outcome": "dismissed", "note": "extra", "by": "me"}, 422, "invalid_request"),
    ],
)
def test_a_wrong_decision_is_refused_and_the_entry_stays_open(
    stack: Harness, body: dict[str, Any], status: int, code: str
):
    entry_id = _nameless_entry(stack)
    reply = _resolve(stack, entry_id, **body)
    assert reply.status == status, reply.body
    assert reply.json()["error"]["code"] == code
    assert entry_id in _open_ids(stack)


def test_an_unknown_entry_is_404_and_an_unsigned_call_403(stack: Harness):
    unknown = _resolve(stack, "email_no-such-message", outcome="dismissed", note="x")
    assert unknown.status == 404
    assert unknown.json()["error"]["code"] == "review_entry_not_found"
    assert admin(stack, "GET", "/v1/admin/review/email_no-such-message").status == 404
    unsigned = stack.http("POST", "/v1/admin/review/email_x/resolve", {"outcome": "dismissed", "note": "x"})
    assert unsigned.status == 403
