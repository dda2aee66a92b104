"""Emailed requests through the real EmailIntakeFunction under moto: trust, corpus, duplicates, review."""

from __future__ import annotations

import boto3
import pytest

from tests.support.email_flows import (
    DMARC_FAIL,
    compose,
    corpus_as,
    deliver,
    in_admin_queue,
    register_account,
    request_detail,
    review_entries,
)
from tests.support.flows import unique_email, verification_token
from tests.support.harness import Harness

pytestmark = pytest.mark.integration


def registered() -> str:
    email = unique_email("registered")
    register_account(email)
    return email


def test_legitimate_deletion_email_waits_for_confirmation_at_the_registered_address(stack: Harness):
    email = registered()
    outcome = deliver(stack, compose(email, "Delete my data", "Please delete all my personal data."))
    assert outcome["outcome"] == "request"
    detail = request_detail(stack, outcome["request_id"])["request"]
    assert detail["type"] == "delete"
    assert detail["status"] == "pending_verification"
    assert detail["channel"] == "email"
    bucket = stack.physical("InboundMailBucket")
    assert detail["source_ref"] == f"s3://{bucket}/inbound/{outcome['message_id']}"
    assert detail["trust"]["verified"] is True
    assert detail["trust"]["registered_email"] == email
    (confirmation,) = stack.outbox(to=email)
    assert "/privacy/verify?" in confirmation["text"]
    assert in_admin_queue(stack, "pending_verification", outcome["request_id"])


def test_confirmation_goes_to_the_registered_address_never_to_reply_to(stack: Harness):
    email = registered()
    elsewhere = unique_email("reply-to")
    raw = compose(email.upper(), "Access", "Please send me a copy of my personal data.", reply_to=elsewhere)
    outcome = deliver(stack, raw)
    assert outcome["status"] == "pending_verification"
    assert stack.outbox(to=elsewhere) == []
    assert len(stack.outbox(to=email)) == 1
    assert request_detail(stack, outcome["request_id"])["request"]["trust"]["reply_to_differs"] is True


def test_dmarc_failure_never_deletes_and_sends_nothing(stack: Harness):
    email = registered()
    elsewhere = unique_email("attacker")
    raw = compose(email, "Delete my data", "Delete my data now.", auth=DMARC_FAIL, reply_to=elsewhere)
    outcome = deliver(stack, raw)
    detail = request_detail(stack, outcome["request_id"])["request"]
    assert detail["status"] == "on_hold"
    assert detail["verified_at"] is None
    assert detail["trust"]["verified"] is False
    assert "dmarc_fail" in detail["trust"]["reasons"]
    assert "dmarc_fail" in detail["hold_reason"]
    assert stack.outbox(to=elsewhere) == []
    assert stack.outbox(to=email) == []
    assert in_admin_queue(stack, "on_hold", outcome["request_id"])


def test_a_spoofed_request_does_not_block_the_real_owners_request(stack: Harness):
    email = registered()
    spoofed = deliver(stack, compose(email, "Delete my data", "Delete my data.", auth=DMARC_FAIL))
    real = deliver(stack, compose(email, "Delete my data", "Please delete my data."))
    assert real["request_id"] != spoofed["request_id"]
    assert real["status"] == "pending_verification"
    assert real["duplicate"] is False
    assert len(stack.outbox(to=email)) == 1


def test_spam_failure_with_a_right_is_held_and_without_one_is_listed_for_review(stack: Harness):
    email = registered()
    held = deliver(stack, compose(email, "Delete my data", "Delete my data."), spam="FAIL")
    assert held["status"] == "on_hold"
    assert "spam" in held["reasons"]
    junk = deliver(stack, compose(email, "WIN A PRIZE", "Click here to claim."), spam="FAIL")
    assert junk == {**junk, "outcome": "review", "reason": "spam"}
    assert stack.outbox(to=email) == []


def test_unregistered_sender_gets_no_destructive_action_and_no_confirmation(stack: Harness):
    stranger = unique_email("stranger")
    outcome = deliver(stack, compose(stranger, "Delete", "Please delete my personal data."))
    detail = request_detail(stack, outcome["request_id"])["request"]
    assert detail["status"] == "on_hold"
    assert detail["trust"]["reasons"] == ["sender_not_registered"]
    assert stack.outbox(to=stranger) == []


def test_repeated_mail_from_one_unregistered_sender_joins_its_one_held_entry(stack: Harness):
    stranger = unique_email("stranger")
    first = deliver(stack, compose(stranger, "Delete", "Please delete my personal data."))
    again = deliver(stack, compose(stranger.upper(), "Access", "Send me a copy of my personal data."))
    assert again["request_id"] == first["request_id"]
    assert again["duplicate"] is True
    trail = request_detail(stack, first["request_id"])["audit"]
    assert [event["action"] for event in trail].count("email_received") == 1


def test_unregistered_sender_with_a_question_gets_the_answer_at_from_not_reply_to(stack: Harness):
    stranger, elsewhere = unique_email("asker"), unique_email("elsewhere")
    outcome = deliver(stack, compose(stranger, "Question", "How long do you keep SMS logs?", reply_to=elsewhere))
    assert outcome["type"] == "inquiry"
    assert outcome["status"] == "received"
    assert len(stack.outbox(to=stranger)) == 1
    assert stack.outbox(to=elsewhere) == []


def test_unclear_mail_becomes_an_inquiry_on_the_48_hour_clock(stack: Harness):
    email = registered()
    outcome = deliver(stack, compose(email, "Hi", "Please delete my data and send me a copy first."))
    detail = request_detail(stack, outcome["request_id"])["request"]
    assert detail["type"] == "inquiry"
    assert detail["trust"]["classification"]["reason"] == "several_rights_named"
    assert detail["acknowledge_by"] < detail["respond_by"]
    (acknowledgement,) = stack.outbox(to=email)
    assert "48 business hours" in acknowledgement["text"]


def test_an_update_without_a_stated_correction_becomes_an_inquiry(stack: Harness):
    email = registered()
    outcome = deliver(stack, compose(email, "Wrong details", "Please correct my details, they are wrong."))
    detail = request_detail(stack, outcome["request_id"])["request"]
    assert detail["type"] == "inquiry"
    assert detail["trust"]["classification"]["reason"] == "update_without_corrections"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gmail_delete_en.eml", "delete"),
        ("outlook_access_en.eml", "access"),
        ("apple_mail_tagalog_delete.eml", "delete"),
        ("gmail_forwarded_object.eml", "object"),
        ("html_only_tagalog_access.eml", "access"),
        ("wrong_charset_tagalog_object.eml", "object"),
        ("unclear_inquiry.eml", "inquiry"),
    ],
)
def test_corpus_email_becomes_the_right_request(stack: Harness, name: str, expected: str):
    email = registered()
    outcome = deliver(stack, corpus_as(name, email))
    assert outcome["outcome"] == "request"
    assert outcome["type"] == expected
    assert outcome["trusted"] is True
    assert len(stack.outbox(to=email)) == 1


def test_attachments_are_kept_in_s3_as_opaque_objects_and_listed(stack: Harness):
    email = registered()
    outcome = deliver(stack, corpus_as("attachments_update.eml", email))
    detail = request_detail(stack, outcome["request_id"])["request"]
    assert detail["type"] == "update"
    assert detail["corrections"] == {"company": "Santos Bakeshop Inc"}
    names = [a["filename"] for a in detail["attachments"]]
    assert names == ["SEC registration.pdf", "invoice.pdf.exe"]
    s3 = boto3.client("s3")
    for attachment in detail["attachments"]:
        bucket, key = attachment["ref"].removeprefix("s3://").split("/", 1)
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ContentType"] == "application/octet-stream"
        assert head["ContentLength"] == attachment["size"]


def test_duplicate_delivery_records_one_request_and_sends_one_email(stack: Harness):
    email = registered()
    raw = compose(email, "Delete my data", "Please delete my data.")
    first = deliver(stack, raw, message_id="dup-delivery-0001")
    second = deliver(stack, raw, message_id="dup-delivery-0001")
    assert second == first
    assert len(stack.outbox(to=email)) == 1


def test_virus_is_quarantined_and_never_processed(stack: Harness):
    email = registered()
    outcome = deliver(stack, compose(email, "Delete my data", "Please delete my data."), virus="FAIL")
    assert outcome["outcome"] == "review"
    assert outcome["reason"] == "virus"
    s3 = boto3.client("s3")
    bucket = stack.physical("InboundMailBucket")
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"inbound/{outcome['message_id']}").get("KeyCount") == 0
    assert s3.head_object(Bucket=bucket, Key=f"quarantine/{outcome['message_id']}")["ContentLength"] > 0
    entry = next(e for e in review_entries(stack) if e["message_id"] == outcome["message_id"])
    assert entry["source_ref"] == f"s3://{bucket}/quarantine/{outcome['message_id']}"
    assert stack.outbox(to=email) == []


def test_mail_without_a_sender_is_listed_for_review_with_its_attachments(stack: Harness):
    raw = corpus_as("attachments_update.eml", "x").replace(b"From: Ana Santos <x>\r\n", b"")
    outcome = deliver(stack, raw)
    assert outcome["reason"] == "missing_from"
    entry = next(e for e in review_entries(stack) if e["message_id"] == outcome["message_id"])
    assert len(entry["attachments"]) == 2
    assert entry["source_ref"].endswith(f"inbound/{outcome['message_id']}")


def test_an_event_naming_a_missing_object_is_listed_not_crashed(stack: Harness):
    from tests.support.email_flows import ses_event_for

    event = ses_event_for(stack, compose("a@example.com", "x", "y"), "never-stored-0001")
    (outcome,) = stack.invoke("EmailIntakeFunction", event)["results"]
    assert outcome["reason"] == "raw_message_missing"


def test_a_record_that_is_not_from_ses_is_rejected(stack: Harness):
    assert stack.invoke("EmailIntakeFunction", {"Records": [{"eventSource": "aws:sqs"}]})["results"] == [
        {"outcome": "rejected", "reason": "not_an_ses_record"}
    ]


def test_review_list_needs_the_admin_identity(stack: Harness):
    assert stack.http("GET", "/v1/admin/review").status == 403


def test_an_emailed_access_request_notifies_only_the_registered_address_after_verification(stack: Harness):
    from privacydesk.requests.domain.intake import notify_address
    from privacydesk.requests.domain.model import PrivacyRequest

    email = registered()
    outcome = deliver(stack, compose(email, "Access", "Send me a copy of my data.", reply_to=unique_email("other")))
    token = verification_token(stack, email, outcome["request_id"])
    assert stack.http("POST", f"/v1/requests/{outcome['request_id']}/verify", {"token": token}).status == 200
    request = PrivacyRequest.model_validate(request_detail(stack, outcome["request_id"])["request"])
    assert notify_address(request) == email


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("deletion_request.json", {"outcome": "request", "type": "delete", "status": "pending_verification"}),
        ("dmarc_fail_spoof.json", {"outcome": "request", "type": "delete", "status": "on_hold"}),
        ("virus_quarantined.json", {"outcome": "review", "reason": "virus"}),
        ("raw_message_missing.json", {"outcome": "review", "reason": "raw_message_missing"}),
    ],
)
def test_event_files_name_seeded_messages_and_end_as_documented(stack: Harness, name: str, expected: dict):
    from tests.support.harness import event_file

    (outcome,) = stack.invoke("EmailIntakeFunction", event_file(f"email_intake/{name}"))["results"]
    assert outcome == {**outcome, **expected}
