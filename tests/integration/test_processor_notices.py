"""[issue 20] Corrections and erasures reach every processor that received the data (GDPR Art. 19;
Data Privacy Act Sec. 16(d)): under mock_aws with the real handlers, from the request to the
processors' inboxes, the DPO's view and confirmation, and the monitor's overdue warning."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.faults.test_outbox_faults import BusCapture
from tests.support.flows import admin, submit, submit_and_verify
from tests.support.fulfilment import drain_fulfilment, new_account, sms_code
from tests.support.harness import Harness, event_file

pytestmark = pytest.mark.integration

DPO = "dpo@example.com"  # the DpoEmail parameter's default
INBOX = {
    "sms_gateway": "privacy@sms-gateway.example.com",
    "payment_processor": "dpo@payments.example.com",
    "cloud_hosting": "privacy@hosting.example.com",
    "analytics": "privacy@analytics.example.com",
}


def notices_to(stack: Harness, processor: str, request_id: str) -> list[dict[str, Any]]:
    return [
        m
        for m in stack.outbox(to=INBOX[processor])
        if m["headers"].get("X-PrivacyDesk-Request") == request_id
        and m["headers"].get("X-PrivacyDesk-Notice") == "processor-notice"
    ]


def processors_of(stack: Harness, request_id: str) -> dict[str, dict[str, Any]]:
    reply = admin(stack, "GET", f"/v1/admin/requests/{request_id}/processors")
    assert reply.status == 200, reply.body
    return {row["processor"]: row for row in reply.json()["processors"]}


def audit_of(stack: Harness, request_id: str) -> list[dict[str, Any]]:
    reply = admin(stack, "GET", f"/v1/admin/requests/{request_id}")
    assert reply.status == 200, reply.body
    return list(reply.json()["audit"])


def erased_account(stack: Harness) -> tuple[dict[str, Any], str]:
    person = new_account(stack, messages=2)
    receipt = submit_and_verify(stack, type="delete", email=person["email"])
    drain_fulfilment(stack)
    return person, str(receipt["request_id"])


def run_monitor_at(stack: Harness, moment: datetime) -> dict[str, Any]:
    event = {**event_file("deadline_monitor/scheduler_hourly.json"), "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
    summary: dict[str, Any] = stack.invoke("DeadlineMonitorFunction", event)
    return summary


def overdue_warnings(stack: Harness, request_id: str) -> list[str]:
    return [
        m["subject"]
        for m in stack.outbox(to=DPO)
        if m["headers"].get("X-PrivacyDesk-Request") == request_id
        and m["headers"].get("X-PrivacyDesk-Notice") == "processor-overdue"
    ]


# ------------------------------------------------------------------------------ the notices
def test_an_account_erasure_sends_each_processor_that_received_the_data_one_notice(stack: Harness):
    _, request_id = erased_account(stack)
    for processor in INBOX:
        notices = notices_to(stack, processor, request_id)
        assert len(notices) == 1, processor
        assert f"{request_id}/{processor}" in notices[0]["subject"]
        assert "Please erase" in notices[0]["text"]


def test_a_processor_notice_names_the_person_only_by_what_the_processor_already_holds(stack: Harness):
    person, request_id = erased_account(stack)
    text = notices_to(stack, "payment_processor", request_id)[0]["text"]
    assert person["account_id"] in text
    for personal in (person["name"], person["email"], person["phone"], person["company"]):
        assert personal not in text


def verified_phone_only_delete(stack: Harness) -> tuple[str, str]:
    """A Delete by someone known only as the recipient of an account's messages, verified by SMS code."""
    phone = f"+63917{int(uuid.uuid4().hex[:6], 16) % 10_000_000:07d}"
    new_account(stack, messages=2, recipient=phone)
    request_id = submit(stack, type="delete", phone=phone).json()["request_id"]
    verified = stack.http("POST", f"/v1/requests/{request_id}/verify", {"token": sms_code(stack, phone)})
    assert verified.status == 200
    return phone, request_id


def test_a_phone_only_erasure_tells_the_sms_gateway_the_number_and_no_other_processor(stack: Harness):
    phone, request_id = verified_phone_only_delete(stack)
    drain_fulfilment(stack)

    assert set(processors_of(stack, request_id)) == {"sms_gateway"}
    assert phone in notices_to(stack, "sms_gateway", request_id)[0]["text"]
    assert notices_to(stack, "cloud_hosting", request_id) == []


def test_a_delete_the_dpo_completes_by_hand_is_passed_on_to_the_processor_like_fulfilments(stack: Harness):
    phone, request_id = verified_phone_only_delete(stack)

    done = admin(stack, "POST", f"/v1/admin/requests/{request_id}/complete", {"message": "Erased by hand."})

    assert done.status == 200, done.body
    assert done.json()["request"]["status"] == "completed"
    assert set(done.json()["request"]["outcome"]["processors"]) == {"sms_gateway"}
    assert {name: row["status"] for name, row in processors_of(stack, request_id).items()} == {"sms_gateway": "pending"}
    (notice,) = notices_to(stack, "sms_gateway", request_id)
    assert phone in notice["text"]
    assert "Please erase" in notice["text"]


def test_a_name_correction_sends_the_new_name_to_the_payment_processor_only(stack: Harness):
    person = new_account(stack)
    receipt = submit_and_verify(stack, type="update", email=person["email"], corrections={"name": "Maria Corrected"})
    assert admin(stack, "POST", f"/v1/admin/requests/{receipt['request_id']}/approve", {}).status == 200
    drain_fulfilment(stack)

    request_id = receipt["request_id"]
    assert set(processors_of(stack, request_id)) == {"payment_processor"}
    notice = notices_to(stack, "payment_processor", request_id)[0]
    assert "Please correct" in notice["text"]
    assert "name = Maria Corrected" in notice["text"]
    assert notices_to(stack, "sms_gateway", request_id) == []


def test_the_requesters_completion_email_names_the_processors_told(stack: Harness):
    person, _ = erased_account(stack)
    completion = next(m for m in stack.outbox(to=person["email"]) if m["subject"] == "Your privacy request is complete")
    assert "our SMS gateway provider" in completion["text"]
    assert "our payment processor" in completion["text"]


def test_an_access_request_tells_no_processor(stack: Harness):
    person = new_account(stack)
    receipt = submit_and_verify(stack, type="access", email=person["email"])
    drain_fulfilment(stack)
    assert processors_of(stack, receipt["request_id"]) == {}


# ------------------------------------------------------------------------------ the DPO's view
def test_the_dpo_sees_each_sent_notice_pending_with_its_due_date(stack: Harness):
    _, request_id = erased_account(stack)
    rows = processors_of(stack, request_id)
    assert {row["status"] for row in rows.values()} == {"pending"}
    sent = datetime.fromisoformat(rows["sms_gateway"]["notified_at"])
    assert datetime.fromisoformat(rows["sms_gateway"]["due_at"]) - sent == timedelta(days=10)


def test_the_dpo_records_a_confirmation_once_and_it_is_audited(stack: Harness):
    _, request_id = erased_account(stack)
    path = f"/v1/admin/requests/{request_id}/processors/sms_gateway/confirm"
    first = admin(stack, "POST", path, {"text": "replied 2 Dec, erased"})
    assert first.status == 200, first.body
    again = admin(stack, "POST", path, {"text": "replied 2 Dec, erased"})
    assert again.status == 200, again.body

    rows = processors_of(stack, request_id)
    assert rows["sms_gateway"]["status"] == "confirmed"
    assert rows["sms_gateway"]["confirmed_by"].endswith(":user/dpo")
    assert rows["payment_processor"]["status"] == "pending"
    confirmations = [e for e in audit_of(stack, request_id) if e["action"] == "processor_confirmed"]
    assert [e["details"]["processor"] for e in confirmations] == ["sms_gateway"]


def test_confirming_a_processor_the_request_did_not_tell_is_a_404(stack: Harness):
    person = new_account(stack)
    receipt = submit_and_verify(stack, type="access", email=person["email"])
    drain_fulfilment(stack)
    reply = admin(
        stack, "POST", f"/v1/admin/requests/{receipt['request_id']}/processors/sms_gateway/confirm", {"text": "x"}
    )
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "processor_not_notified"


def test_a_malformed_processor_name_is_a_4xx_not_a_5xx(stack: Harness):
    _, request_id = erased_account(stack)
    reply = admin(stack, "POST", f"/v1/admin/requests/{request_id}/processors/SMS-Gateway!/confirm", {"text": "x"})
    assert 400 <= reply.status < 500


# ------------------------------------------------------------------------------ overdue
def test_an_overdue_notice_warns_the_dpo_once_and_a_confirmed_one_never(stack: Harness):
    _, request_id = erased_account(stack)
    confirmed = admin(stack, "POST", f"/v1/admin/requests/{request_id}/processors/analytics/confirm", {"text": "ok"})
    assert confirmed.status == 200
    now = datetime.now(UTC)
    run_monitor_at(stack, now + timedelta(days=11))  # sms_gateway and payment_processor: 10 days
    run_monitor_at(stack, now + timedelta(days=12))
    warnings = overdue_warnings(stack, request_id)
    assert sorted(warnings) == [
        f"[processor-overdue] {request_id}: payment_processor has not confirmed",
        f"[processor-overdue] {request_id}: sms_gateway has not confirmed",
    ]
    run_monitor_at(stack, now + timedelta(days=31))  # cloud hosting's 30 days; analytics confirmed
    assert len(overdue_warnings(stack, request_id)) == 3
    escalations = [e["details"]["processor"] for e in audit_of(stack, request_id) if e["action"] == "processor_overdue"]
    assert sorted(escalations) == ["cloud_hosting", "payment_processor", "sms_gateway"]


def test_a_notice_confirmed_after_its_warning_shows_confirmed(stack: Harness):
    _, request_id = erased_account(stack)
    run_monitor_at(stack, datetime.now(UTC) + timedelta(days=11))
    reply = admin(stack, "POST", f"/v1/admin/requests/{request_id}/processors/sms_gateway/confirm", {"text": "late"})
    assert reply.status == 200
    row = processors_of(stack, request_id)["sms_gateway"]
    assert row["status"] == "confirmed"
    assert row["escalated_at"] is not None


# ------------------------------------------------------------------------------ events for everyone else
def test_every_completed_request_emits_request_completed_with_its_type_and_no_personal_data(stack: Harness):
    capture = BusCapture(stack, ["Request.Completed"])
    person, request_id = erased_account(stack)
    stack.deliver_outbox()
    import boto3

    sqs = boto3.client("sqs", region_name=stack.stack.region)
    bodies = [
        json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=capture.url, MaxNumberOfMessages=10)["Messages"]
    ]
    mine = [b for b in bodies if b["detail"].get("request_id") == request_id]
    assert len(mine) == 1
    assert mine[0]["detail"]["type"] == "delete"
    assert mine[0]["detail"]["status"] == "completed"
    for personal in (person["name"], person["email"], person["phone"], person["account_id"]):
        assert personal not in json.dumps(mine[0])


# ------------------------------------------------------------------------------ a processor confirms itself
def signed_confirmation(stack: Harness, reference: str, key: bytes, note: str = "erased") -> Any:
    from privacydesk.processors.adapters.webhook import signature

    raw = json.dumps({"reference": reference, "note": note}).encode()
    header = signature(key, int(datetime.now(UTC).timestamp()), raw)
    return stack.http(
        "POST",
        "/v1/processor-notices/confirmations",
        raw_body=raw,
        headers={"content-type": "application/json", "PrivacyDesk-Signature": header},
    )


def test_a_webhook_processor_confirms_with_a_signed_callback_and_it_is_audited(stack: Harness, monkeypatch):
    from privacydesk.processors.domain import model as processor_model
    from tests.support.processor_webhook import webhook_processor

    with webhook_processor(stack.stack.region, "crm_confirms") as (receiver, processors):
        monkeypatch.setattr(processor_model, "load_processors", lambda: processors)
        _, request_id = erased_account(stack)
        reply = signed_confirmation(stack, f"{request_id}/crm_confirms", receiver.keys[0])
        assert reply.status == 200, reply.body
        assert reply.json()["status"] == "confirmed"
        assert processors_of(stack, request_id)["crm_confirms"]["status"] == "confirmed"
    actors = [e["actor"] for e in audit_of(stack, request_id) if e["action"] == "processor_confirmed"]
    assert actors == ["processor:crm_confirms (signed callback)"]


def test_a_confirmation_signed_with_the_wrong_key_is_refused_and_changes_nothing(stack: Harness, monkeypatch):
    from privacydesk.processors.domain import model as processor_model
    from tests.support.processor_webhook import webhook_processor

    with webhook_processor(stack.stack.region, "crm_forged") as (_, processors):
        monkeypatch.setattr(processor_model, "load_processors", lambda: processors)
        _, request_id = erased_account(stack)
        reply = signed_confirmation(stack, f"{request_id}/crm_forged", b"guessed-key")
        assert reply.status == 401
        assert reply.json()["error"]["code"] == "invalid_signature"
        assert processors_of(stack, request_id)["crm_forged"]["status"] == "pending"


def test_a_signed_looking_confirmation_for_an_email_processor_is_refused_like_a_bad_signature(stack: Harness):
    _, request_id = erased_account(stack)
    reply = signed_confirmation(stack, f"{request_id}/sms_gateway", b"any-key")
    assert reply.status == 401
    assert processors_of(stack, request_id)["sms_gateway"]["status"] == "pending"
