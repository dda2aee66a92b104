"""Significant-change emails on the template's stack under moto: dispatch, send, redelivery,
SES feedback, suppression, rate limit, progress and acceptance."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from local import sam_template
from tests.support.harness import ADMIN_IDENTITY, Harness
from tests.support.notices import (
    add_account,
    batch_event,
    ledger_entry,
    notices_for,
    open_account_ids,
    publish_version,
    published_event,
    send_all,
    ses_event,
    take_queued,
    unique,
)

pytestmark = pytest.mark.integration


def _dispatch(stack: Harness, version: str, significant: bool, effective_at: datetime) -> dict:
    result: dict = stack.invoke("NoticeDispatchFunction", published_event(version, significant, effective_at))
    return result


def _deliveries(stack: Harness, version: str) -> dict:
    reply = stack.http("GET", f"/v1/admin/policy/versions/{version}/deliveries", identity=ADMIN_IDENTITY)
    assert reply.status == 200, reply.body
    body: dict = reply.json()
    return body


def test_significant_change_mails_every_open_account_exactly_once_even_when_redelivered(stack: Harness):
    version = unique("2026-sig")
    closed = unique("acct-closed")
    add_account(stack, closed, f"{closed}@example.com", status="closed")
    effective = publish_version(stack, version, significant=True)
    expected = open_account_ids(stack)

    result = _dispatch(stack, version, True, effective)
    assert result["result"] == "completed"
    assert result["queued"] == len(expected)
    records = take_queued(stack, version)
    queued_ids = [a for r in records for a in json.loads(r["body"])["account_ids"]]
    assert sorted(queued_ids) == sorted(expected)  # the closed account was never queued
    assert all(len(json.loads(r["body"])["account_ids"]) <= 5 for r in records)

    assert send_all(stack, records) == []
    assert send_all(stack, records) == []  # SQS delivers the very same messages again
    assert _dispatch(stack, version, True, effective)["result"] == "not_needed"  # a duplicate Policy.Published

    mails = notices_for(stack, version)
    recipients = Counter(address for m in mails for address in m["to"])
    assert len(mails) == len(expected)
    assert max(recipients.values()) == 1
    assert f"{closed}@example.com" not in recipients
    progress = _deliveries(stack, version)
    assert progress["dispatch_state"] == "completed"
    assert progress["counts"]["queued"] == len(expected)
    assert progress["counts"]["sent"] == len(expected)
    assert progress["counts"]["awaiting"] == 0


def test_notice_says_what_changed_when_and_where_to_read_it(stack: Harness):
    version, account = unique("2026-text"), unique("acct-text")
    add_account(stack, account, f"{account}@example.com")
    effective = publish_version(
        stack, version, significant=True, effective_at=datetime(2031, 3, 1, tzinfo=UTC), summary="New sub-processor."
    )
    assert effective.year == 2031
    stack.invoke("NoticeSenderFunction", batch_event(version, [account]))
    (mail,) = notices_for(stack, version, to=f"{account}@example.com")
    assert version in mail["text"]
    assert "Last Updated:" in mail["text"]
    assert "New sub-processor." in mail["text"]
    assert "01 March 2031" in mail["text"]
    assert "http://127.0.0.1:3000/privacy" in mail["text"]
    assert not any(name.lower() == "list-unsubscribe" for name in mail["headers"])
    assert "not a marketing email" in mail["text"]


def test_minor_change_sends_no_email(stack: Harness):
    version = unique("2026-minor")
    effective = publish_version(stack, version, significant=False)
    assert _dispatch(stack, version, False, effective)["result"] == "minor_change"
    assert take_queued(stack, version) == []
    # Even a batch that reached the queue some other way is not mailed for a minor version.
    stack.invoke("NoticeSenderFunction", batch_event(version, ["acct-ana"]))
    assert notices_for(stack, version) == []
    assert ledger_entry(stack, version, "acct-ana") is None


def test_rule_pattern_lets_only_significant_changes_through():
    # moto's matcher is the one the stand-in's rules use (moto has no TestEventPattern API).
    from moto.events.models import EventPattern

    events = sam_template.load()["Resources"]["NoticeDispatchFunction"]["Properties"]["Events"]
    pattern = EventPattern.load(json.dumps(events["SignificantChange"]["Properties"]["Pattern"]))
    effective = datetime.now(UTC) + timedelta(days=30)
    assert pattern.matches_event(published_event("2026-pattern", True, effective))
    assert not pattern.matches_event(published_event("2026-pattern", False, effective))


def test_permanent_bounce_suppresses_the_address_for_later_notices(stack: Harness):
    account = unique("acct-bounce")
    address = f"{account}@example.com"
    add_account(stack, account, address)
    first, second = unique("2026-b1"), unique("2026-b2")
    publish_version(stack, first, significant=True)
    publish_version(stack, second, significant=True)

    stack.invoke("NoticeSenderFunction", batch_event(first, [account]))
    sent = ledger_entry(stack, first, account)
    assert sent.status == "sent"
    feedback = stack.invoke(
        "SesFeedbackFunction",
        ses_event("bounce_permanent", version=first, account_id=account, address=address, message_id=sent.message_id),
    )
    assert feedback["ledger_updated"] is True
    assert ledger_entry(stack, first, account).status == "bounced"

    stack.invoke("NoticeSenderFunction", batch_event(second, [account]))
    assert ledger_entry(stack, second, account).status == "suppressed"
    assert len(stack.outbox(to=address)) == 1  # only the notice that bounced
    assert _deliveries(stack, first)["counts"]["bounced"] == 1
    assert _deliveries(stack, second)["counts"]["suppressed"] == 1


def test_complaint_suppresses_and_delivery_is_recorded(stack: Harness):
    account = unique("acct-complain")
    address = f"{account}@example.com"
    add_account(stack, account, address)
    first, second = unique("2026-c1"), unique("2026-c2")
    publish_version(stack, first, significant=True)
    publish_version(stack, second, significant=True)
    stack.invoke("NoticeSenderFunction", batch_event(first, [account]))
    message_id = ledger_entry(stack, first, account).message_id

    stack.invoke(
        "SesFeedbackFunction",
        ses_event("delivery", version=first, account_id=account, address=address, message_id=message_id),
    )
    assert ledger_entry(stack, first, account).status == "delivered"
    stack.invoke(
        "SesFeedbackFunction",
        ses_event("complaint", version=first, account_id=account, address=address, message_id=message_id),
    )
    assert ledger_entry(stack, first, account).status == "complained"
    # A late delivery event does not move it back.
    stack.invoke(
        "SesFeedbackFunction",
        ses_event("delivery", version=first, account_id=account, address=address, message_id=message_id),
    )
    assert ledger_entry(stack, first, account).status == "complained"

    stack.invoke("NoticeSenderFunction", batch_event(second, [account]))
    assert ledger_entry(stack, second, account).status == "suppressed"
    assert len(stack.outbox(to=address)) == 1


def test_progress_of_an_unknown_version_is_a_404_with_a_code(stack: Harness):
    reply = stack.http("GET", "/v1/admin/policy/versions/no-such-version/deliveries", identity=ADMIN_IDENTITY)
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "version_not_found"


def test_progress_needs_the_admin_identity(stack: Harness):
    assert stack.http("GET", "/v1/admin/policy/versions/2025-11-30/deliveries").status == 403


def test_accounts_that_kept_using_the_api_after_the_effective_date_have_accepted(stack: Harness):
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
    from privacydesk.change_notices.adapters.notice_recipients import ApiUsage
    from privacydesk.change_notices.domain.notice_acceptance import record_acceptances
    from privacydesk.datamap.adapters.reference_stores import ApiUsageRecord
    from privacydesk.policy.adapters.policy_store import PolicyRepository

    version = unique("2026-accept")
    active, idle = unique("acct-active"), unique("acct-idle")
    add_account(stack, active, f"{active}@example.com")
    add_account(stack, idle, f"{idle}@example.com")
    # Effective in the future, so the shared stack's current policy stays the seeded one; the
    # daily job is then run "two days after" the effective date.
    effective = publish_version(stack, version, significant=True)
    assert _dispatch(stack, version, True, effective)["result"] == "completed"
    assert send_all(stack, take_queued(stack, version)) == []
    used_at = effective + timedelta(hours=5)
    stack.runner.activate("NoticeAcceptanceFunction")
    for account, at in ((active, used_at), (idle, effective - timedelta(days=1))):
        ApiUsageRecord(
            account_id=account, usage_id=f"{at.isoformat()}#0001", endpoint="/api/v1/sms", at=at.isoformat()
        ).save()

    reports = record_acceptances(
        effective + timedelta(days=2), catalog=PolicyRepository(), ledger=DeliveryLedger(), usage=ApiUsage()
    )
    assert any(r.version == version and r.accepted_now >= 1 for r in reports)

    accepted = ledger_entry(stack, version, active)
    assert accepted.sent_at is not None  # when it was notified
    assert accepted.accepted_at == used_at
    assert ledger_entry(stack, version, idle).accepted_at is None
    assert _deliveries(stack, version)["counts"]["accepted"] >= 1
