"""[issue 20] Processors: the data map's section, the decision of who is told of a correction or
erasure, what a notice carries, a notice's state, and the webhook signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from privacydesk.datamap.domain.model import load_datamap
from privacydesk.processors.adapters.webhook import signature, verify
from privacydesk.processors.domain.decision import processors_to_notify
from privacydesk.processors.domain.model import load_processors, parse_processors
from privacydesk.processors.domain.notices import notice_body, notice_email, notice_items
from privacydesk.processors.domain.tracking import SentNotice, state_of
from privacydesk.requests.domain.model import PrivacyRequest, RequestType

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ALL_KNOWN = {"account_id", "email", "phone"}


def a_processor(**override: Any) -> dict[str, Any]:
    return {
        "name": "mailer_service",
        "title": "our mailing service",
        "description": "Sends our newsletters.",
        "receives": [{"store": "accounts", "fields": ["email", "name"]}],
        "identified_by": ["email"],
        "notify": {"kind": "email", "address": "privacy@mailer.example.com"},
        "confirm_within_days": 7,
        **override,
    }


def told(request_type: RequestType, outcome: dict[str, Any], known: set[str] = ALL_KNOWN) -> dict[str, Any]:
    return processors_to_notify(load_processors(), request_type, outcome, known)


# ------------------------------------------------------------------------------ the data map
def test_the_checked_in_data_map_lists_the_policys_processors():
    names = {p.name for p in load_processors().processors}
    assert names == {"sms_gateway", "payment_processor", "cloud_hosting", "analytics"}


def test_a_processor_receiving_from_an_unknown_store_is_refused():
    bad = a_processor(receives=[{"store": "crm", "fields": ["email"]}])
    with pytest.raises(ValueError, match="unknown store"):
        parse_processors({"processors": [bad]}, load_datamap())


def test_a_processor_receiving_a_field_the_store_does_not_have_is_refused():
    bad = a_processor(receives=[{"store": "accounts", "fields": ["shoe_size"]}])
    with pytest.raises(ValueError, match="shoe_size"):
        parse_processors({"processors": [bad]}, load_datamap())


def test_a_plain_http_webhook_outside_loopback_is_refused():
    hook = {"kind": "webhook", "url": "http://processor.example.com/hook", "secret_id": "privacydesk/processors/x"}
    with pytest.raises(ValueError, match="https"):
        parse_processors({"processors": [a_processor(notify=hook)]}, load_datamap())


def test_a_data_map_without_processors_has_none():
    assert parse_processors({"version": "1", "stores": []}, load_datamap()).processors == []


# ------------------------------------------------------------------------------ the decision
def test_an_erasure_of_message_logs_tells_the_sms_gateway_and_the_host():
    outcome = {"stores": {"message_logs": {"deleted": 0, "anonymized": 3, "kept": 0}}}
    decided = told(RequestType.DELETE, outcome)
    assert set(decided) == {"sms_gateway", "cloud_hosting"}
    assert decided["sms_gateway"]["action"] == "erase"
    assert decided["sms_gateway"]["data"] == {"message_logs": ["body", "message_id", "recipient", "sender_id"]}


def test_an_erasure_that_found_nothing_tells_nobody():
    outcome = {"stores": {name: {"deleted": 0, "anonymized": 0, "kept": 0} for name in ("accounts", "message_logs")}}
    assert told(RequestType.DELETE, outcome) == {}


def test_records_kept_under_a_legal_obligation_tell_nobody_to_erase_them():
    outcome = {"stores": {"billing_records": {"deleted": 0, "anonymized": 0, "kept": 2}}}
    assert told(RequestType.DELETE, outcome) == {}


def test_a_name_correction_tells_only_the_processor_that_received_names():
    decided = told(RequestType.UPDATE, {"fields": ["name"], "stores": {"accounts": 1}})
    assert set(decided) == {"payment_processor"}
    assert decided["payment_processor"]["action"] == "correct"
    assert decided["payment_processor"]["data"] == {"accounts": ["name"]}


def test_a_phone_correction_tells_no_processor_that_never_received_the_phone():
    assert told(RequestType.UPDATE, {"fields": ["phone"], "stores": {"accounts": 1}}) == {}


def test_a_correction_that_changed_no_record_tells_nobody():
    assert told(RequestType.UPDATE, {"fields": ["name"], "stores": {"accounts": 0}}) == {}


@pytest.mark.parametrize("request_type", [RequestType.ACCESS, RequestType.OBJECT, RequestType.INQUIRY])
def test_requests_that_change_no_data_tell_no_processor(request_type: RequestType):
    assert told(request_type, {"stores": {"accounts": {"deleted": 1}}}) == {}


def test_a_processor_that_knows_the_person_by_nothing_the_request_proved_is_not_told():
    outcome = {"stores": {"message_logs": {"deleted": 0, "anonymized": 2}}}
    assert set(told(RequestType.DELETE, outcome, known={"phone"})) == {"sms_gateway"}


# ------------------------------------------------------------------------------ the notice
def completed(request_type: RequestType, outcome: dict[str, Any], **subject: Any) -> PrivacyRequest:
    request = PrivacyRequest.model_validate(
        {
            "request_id": "req_test",
            "type": request_type.value,
            "channel": "api",
            "status": "completed",
            "subject": {"email": "ana@example.org", "phone": "+639171234567", "account_id": "acct-1", **subject},
            "received_at": NOW.isoformat(),
            "acknowledge_by": (NOW + timedelta(days=2)).isoformat(),
            "respond_by": (NOW + timedelta(days=30)).isoformat(),
            "verified_at": NOW.isoformat(),
            "verification_method": "email_link",
            "policy_version": "2025-11-30",
            "datamap_version": "2026-12-01.1",
            "corrections": {"name": "Ana Cruz", "phone": "+639179999999"} if request_type == RequestType.UPDATE else {},
            "outcome": outcome,
        }
    )
    return request.model_copy(
        update={"outcome": {**outcome, "processors": told(request_type, outcome, {"account_id", "email"})}}
    )


def test_a_notice_carries_only_the_identifiers_the_processor_knows_the_person_by():
    request = completed(RequestType.DELETE, {"stores": {"billing_records": {"deleted": 0}, "accounts": {"deleted": 1}}})
    processor = load_processors().processor("payment_processor")
    assert processor is not None
    body = notice_body(processor, request, request.outcome["processors"]["payment_processor"])
    assert body["subject"] == {"account_id": "acct-1"}  # never the email or phone it was not identified by
    email = notice_email(processor, "dpo@payments.example.com", body, request.request_id)
    assert "ana@example.org" not in email.text
    assert "+63917" not in email.text
    assert "req_test/payment_processor" in email.subject


def test_a_correction_notice_carries_the_new_values_of_the_fields_that_processor_received_only():
    request = completed(RequestType.UPDATE, {"fields": ["name", "phone"], "stores": {"accounts": 1}})
    processor = load_processors().processor("payment_processor")
    assert processor is not None
    body = notice_body(processor, request, request.outcome["processors"]["payment_processor"])
    assert body["corrections"] == {"name": "Ana Cruz"}


def test_an_unproven_phone_is_never_sent_to_the_sms_gateway():
    outcome = {"stores": {"message_logs": {"deleted": 0, "anonymized": 2}}}
    request = completed(RequestType.DELETE, outcome)  # verified by email: the phone was not proven
    items = {i.payload["processor"]: i for i in notice_items(request, load_processors())}
    assert "+639171234567" not in items["sms_gateway"].payload["email"]["text"]


# ------------------------------------------------------------------------------ the state
def sent(due_in_days: int) -> SentNotice:
    return SentNotice("req_1", "sms_gateway", "email", NOW, NOW + timedelta(days=due_in_days))


def test_a_notice_not_yet_delivered_is_queued():
    assert state_of({"action": "erase"}, None, NOW) == "queued"


def test_a_sent_notice_within_its_days_is_pending():
    assert state_of({"action": "erase"}, sent(10), NOW + timedelta(days=9)) == "pending"


def test_a_sent_notice_past_its_days_is_overdue():
    assert state_of({"action": "erase"}, sent(10), NOW + timedelta(days=10)) == "overdue"


def test_a_confirmed_notice_stays_confirmed_after_its_due_date():
    assert state_of({"confirmed_at": NOW.isoformat()}, sent(10), NOW + timedelta(days=40)) == "confirmed"


# ------------------------------------------------------------------------------ the webhook signature
def test_a_receiver_accepts_the_signature_with_the_current_or_previous_key():
    body = b'{"reference":"req_1/analytics"}'
    header = signature(b"old-key", int(NOW.timestamp()), body)
    assert verify([b"new-key", b"old-key"], header, body, NOW)


def test_a_receiver_refuses_a_changed_body_or_a_stale_timestamp():
    body = b'{"reference":"req_1/analytics"}'
    header = signature(b"key", int(NOW.timestamp()), body)
    assert not verify([b"key"], header, body.replace(b"1", b"2"), NOW)
    assert not verify([b"key"], header, body, NOW + timedelta(minutes=6))
