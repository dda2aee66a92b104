"""Observations 1 and 2 of issue 14: a verified email must not widen to an unproven phone.
Control: requests/domain/scope.py (scope = what this request proved), used by every fulfilment path."""

from __future__ import annotations

import re

import pytest

from local.seed import DEMO_SMS_RECIPIENTS
from tests.security.attacker import (
    admin_view,
    download_link,
    export_text,
    finished,
    mailbox,
    sms_codes,
    submit,
    verification_links,
    verify,
    wait_for,
)
from tests.support.standin import RunningStack

pytestmark = pytest.mark.security

VICTIM_PHONE = DEMO_SMS_RECIPIENTS[0]  # the seed holds messages sent to this number
OWNER_PHONE = DEMO_SMS_RECIPIENTS[1]


def _verified_by_my_mailbox(running: RunningStack, kind: str, phone: str, **extra: object) -> tuple[str, str]:
    me = mailbox("attacker")
    assert submit(running, type=kind, email=me, phone=phone, **extra).status_code == 202
    ((request_id, token),) = verification_links(running, me)
    assert verify(running, request_id, token).status_code == 200
    return me, request_id


def _digits(phone: str) -> str:
    return phone[-10:]


def test_access_with_my_email_and_a_strangers_phone_exports_none_of_the_strangers_messages(running: RunningStack):
    me, request_id = _verified_by_my_mailbox(running, "access", VICTIM_PHONE)
    exported = export_text(download_link(running, me))
    assert _digits(VICTIM_PHONE) not in exported
    assert finished(running, request_id)["outcome"]["export"]["records"] == 0


def test_the_requester_is_told_the_unproven_phone_was_left_out(running: RunningStack):
    me, request_id = _verified_by_my_mailbox(running, "access", VICTIM_PHONE)
    finished(running, request_id)
    assert wait_for(running, me, re.compile(r"(the phone number you gave was not confirmed)"))


def test_delete_with_my_email_and_a_strangers_phone_erases_none_of_the_strangers_messages(running: RunningStack):
    _, request_id = _verified_by_my_mailbox(running, "delete", VICTIM_PHONE)
    outcome = finished(running, request_id)["outcome"]["stores"]
    assert outcome["message_logs"]["anonymized"] == 0
    assert outcome["message_logs"]["deleted"] == 0


def test_phone_only_request_proven_by_sms_code_exports_that_numbers_messages(running: RunningStack):
    receipt = submit(running, type="access", phone=OWNER_PHONE)
    assert receipt.status_code == 202
    request_id = receipt.json()["request_id"]
    code = sms_codes(running, OWNER_PHONE)[-1]  # the code texted to the phone, read off the outbox
    assert verify(running, request_id, code).status_code == 200
    exported = export_text(download_link(running, OWNER_PHONE, channel="sms"))
    assert _digits(OWNER_PHONE) in exported
    assert admin_view(running, request_id)["proven"] == {"phone": "sms_code"}


def test_verified_email_is_recorded_as_the_only_proof(running: RunningStack):
    _, request_id = _verified_by_my_mailbox(running, "object", VICTIM_PHONE, purposes=["marketing"])
    assert admin_view(running, request_id)["proven"] == {"email": "email_link"}
