"""Data-rights requests through the real public_api and admin_api handlers under mock_aws."""

from __future__ import annotations

import pytest

from tests.support.flows import admin, submit, submit_and_verify, unique_email, verification_token
from tests.support.harness import Harness

pytestmark = pytest.mark.integration


def test_submit_answers_202_with_clocks_and_a_status_token(stack: Harness):
    email = unique_email()
    reply = submit(stack, type="access", email=email, name="Test Person")
    assert reply.status == 202
    receipt = reply.json()
    assert receipt["status"] == "pending_verification"
    assert receipt["request_id"].startswith("req_")
    assert receipt["status_token"]
    assert receipt["acknowledge_by"] > receipt["received_at"]
    assert receipt["respond_by"] > receipt["acknowledge_by"]
    (message,) = stack.outbox(to=email)
    assert "/privacy/verify?" in message["text"]


def test_submit_verify_approve_then_status(stack: Harness):
    email = unique_email()
    receipt = submit_and_verify(stack, type="update", email=email, corrections={"name": "Ana S. Cruz"})
    request_id, token = receipt["request_id"], receipt["status_token"]
    status = stack.http("GET", f"/v1/requests/{request_id}", headers={"Authorization": f"Bearer {token}"})
    assert status.json()["status"] == "verified"
    approved = admin(stack, "POST", f"/v1/admin/requests/{request_id}/approve", {})
    assert approved.status == 200, approved.body
    assert approved.json()["request"]["approved_by"] == "arn:aws:iam::123456789012:user/dpo"
    detail = admin(stack, "GET", f"/v1/admin/requests/{request_id}").json()
    assert [e["action"] for e in detail["audit"]] == ["received", "verified", "approved"]
    assert detail["audit_chain"]["valid"] is True
    assert "Test" not in str(detail["audit"])  # the audit holds field names, never values
    assert detail["audit"][0]["details"]["fields"] == ["name"]


def test_a_verification_token_verifies_once_and_presenting_it_again_answers_the_current_state(stack: Harness):
    # [issue 16] a client retrying after a lost reply must not be told 409 for what succeeded.
    email = unique_email()
    receipt = submit(stack, type="delete", email=email).json()
    token = verification_token(stack, email, receipt["request_id"])
    path = f"/v1/requests/{receipt['request_id']}/verify"
    first = stack.http("POST", path, {"token": token})
    assert first.status == 200
    again = stack.http("POST", path, {"token": token})
    assert again.status == 200, again.body
    assert again.json()["request_id"] == receipt["request_id"]
    acknowledgements = [
        m for m in stack.outbox(to=email) if m["headers"].get("X-PrivacyDesk-Request") == receipt["request_id"]
    ]
    assert sum(1 for m in acknowledgements if "/privacy/verify?" not in m["text"]) == 1  # acknowledged once


def test_wrong_tokens_never_lock_an_emailed_link(stack: Harness):
    """A link's secret cannot be guessed, so a stranger's wrong guesses cannot shut its owner out."""
    email = unique_email()
    receipt = submit(stack, type="delete", email=email).json()
    path = f"/v1/requests/{receipt['request_id']}/verify"
    codes = [stack.http("POST", path, {"token": f"wrong-{i}"}).json()["error"]["code"] for i in range(12)]
    assert codes == ["token_invalid"] * 12  # as for an unknown request
    owner = stack.http("POST", path, {"token": verification_token(stack, email, receipt["request_id"])})
    assert owner.status == 200, owner.body


def test_a_duplicate_gets_a_fresh_receipt_never_the_open_request(stack: Harness):
    email = unique_email()
    first = submit(stack, type="access", email=email).json()
    second = submit(stack, type="access", email=email.upper()).json()
    assert second["request_id"] != first["request_id"]
    assert set(second) == set(first)
    assert second["status_token"] != first["status_token"]


def test_idempotency_key_replays_the_same_answer(stack: Harness):
    email = unique_email()
    headers = {"Idempotency-Key": "retry-key-0001-" + email}
    first = stack.http("POST", "/v1/requests", {"type": "inquiry", "email": email, "details": "Q?"}, headers=headers)
    second = stack.http("POST", "/v1/requests", {"type": "inquiry", "email": email, "details": "Q?"}, headers=headers)
    assert first.status == second.status == 202
    assert first.json() == second.json()
    other = stack.http("POST", "/v1/requests", {"type": "inquiry", "email": email, "details": "Other"}, headers=headers)
    assert other.status == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_phone_only_subject_gets_an_sms_code_not_an_email(stack: Harness):
    reply = submit(stack, type="access", phone="0917 555 0199")
    assert reply.status == 202
    assert [m for m in stack.outbox(to="+639175550199") if m["channel"] == "email"] == []
    assert [m["channel"] for m in stack.outbox(to="+639175550199")] == ["sms"]  # the stand-in shows SMS too


def test_someone_elses_status_token_gets_404(stack: Harness):
    mine = submit(stack, type="access", email=unique_email()).json()
    theirs = submit(stack, type="access", email=unique_email()).json()
    for method, suffix in (("GET", ""), ("POST", "/cancel")):
        reply = stack.http(
            method,
            f"/v1/requests/{theirs['request_id']}{suffix}",
            headers={"Authorization": f"Bearer {mine['status_token']}"},
        )
        assert reply.status == 404
        assert reply.json()["error"]["code"] == "request_not_found"
    assert stack.http("GET", f"/v1/requests/{theirs['request_id']}").status == 404


def test_cancel_with_the_status_token(stack: Harness):
    receipt = submit(stack, type="object", email=unique_email(), purposes=["marketing"]).json()
    reply = stack.http(
        "POST",
        f"/v1/requests/{receipt['request_id']}/cancel",
        headers={"Authorization": f"Bearer {receipt['status_token']}"},
    )
    assert reply.status == 200
    assert reply.json()["status"] == "cancelled"


def test_extension_moves_the_due_date_and_tells_the_requester(stack: Harness):
    email = unique_email()
    receipt = submit_and_verify(stack, type="access", email=email)
    reply = admin(
        stack, "POST", f"/v1/admin/requests/{receipt['request_id']}/extend", {"reason": "Large archive", "days": 14}
    )
    assert reply.status == 200, reply.body
    assert reply.json()["request"]["respond_by"] > receipt["respond_by"]
    assert any(m["subject"] == "We need more time for your privacy request" for m in stack.outbox(to=email))


def test_deny_needs_a_reason_and_closes_the_request(stack: Harness):
    receipt = submit_and_verify(stack, type="delete", email=unique_email())
    path = f"/v1/admin/requests/{receipt['request_id']}/deny"
    assert admin(stack, "POST", path, {}).status == 422
    denied = admin(stack, "POST", path, {"reason": "Legal obligation to keep billing records"})
    assert denied.json()["request"]["status"] == "denied"
    again = admin(stack, "POST", path, {"reason": "again"})
    assert again.status == 409
    assert again.json()["error"]["code"] == "invalid_transition"


def test_inquiry_is_acknowledged_then_answered(stack: Harness):
    email = unique_email()
    receipt = submit(stack, type="inquiry", email=email, details="Do you sell my data?").json()
    assert receipt["status"] == "received"
    assert admin(stack, "POST", f"/v1/admin/requests/{receipt['request_id']}/acknowledge", {}).status == 200
    answered = admin(stack, "POST", f"/v1/admin/requests/{receipt['request_id']}/complete", {"message": "No, never."})
    assert answered.json()["request"]["status"] == "answered"
    assert any("No, never." in m["text"] for m in stack.outbox(to=email))


def test_admin_queue_lists_by_status_and_pages(stack: Harness):
    for _ in range(3):
        submit(stack, type="access", email=unique_email())
    first = admin(stack, "GET", "/v1/admin/requests", query="status=pending_verification&limit=2").json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    second = admin(
        stack, "GET", "/v1/admin/requests", query=f"status=pending_verification&limit=2&cursor={first['next_cursor']}"
    )
    assert second.status == 200
    assert {i["request_id"] for i in second.json()["items"]}.isdisjoint({i["request_id"] for i in first["items"]})


def test_admin_routes_need_a_signature(stack: Harness):
    assert stack.http("GET", "/v1/admin/requests").status == 403
