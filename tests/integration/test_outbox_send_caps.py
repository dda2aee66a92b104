"""[issue 16] Send caps are decided when the message is committed to the outbox: every message a
submission commits for the requester (the verification link or code, an inquiry's receipt) spends
the person's and the destination's allowance, and a capped send commits no message at all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from privacydesk.kernel.contacts import person_email
from privacydesk.requests.domain.ports import Allowance
from tests.support.flows import submit, unique_email
from tests.support.harness import Harness

pytestmark = pytest.mark.integration

EMAIL_SENDS = Allowance(cap=5)  # requests.domain.ports.RequestConfig.email_sends: five emails a day per person
EMAIL_RESERVE = Allowance(cap=3)  # RequestConfig.email_reserve: a new client source's first send past the five


def _counters() -> Any:
    from privacydesk.requests.adapters.abuse_limits import AbuseCounters

    return AbuseCounters()


def sends_counted(stack: Harness, email: str) -> int:
    stack.runner.activate("PublicApiFunction")
    return int(_counters().used("send-email", f"email:{person_email(email)}", EMAIL_SENDS, datetime.now(UTC)))


def spend_the_days_sends(stack: Harness, email: str) -> None:
    """Use up the person's day: the shared sends and the reserve for new sources (SECURITY.md 4b)."""
    stack.runner.activate("PublicApiFunction")
    key = f"email:{person_email(email)}"
    for _ in range(EMAIL_SENDS.cap):
        _counters().count("send-email", key, EMAIL_SENDS, datetime.now(UTC))
    for _ in range(EMAIL_RESERVE.cap):
        _counters().count("send-email-reserve", key, EMAIL_RESERVE, datetime.now(UTC))


def outbox_notices(stack: Harness, request_id: str) -> list[str]:
    table = boto3.resource("dynamodb", region_name=stack.stack.region).Table(stack.physical("OutboxTable"))
    items: list[dict[str, Any]] = table.scan(ConsistentRead=True)["Items"]
    return sorted(str(item["notice"]) for item in items if item.get("request_id") == request_id)


def mails_to(stack: Harness, email: str) -> list[str]:
    return [m["subject"] for m in stack.outbox(to=email)]


def test_an_inquiry_receipt_spends_one_of_the_persons_email_sends(stack: Harness):
    email = unique_email("cap-inquiry")
    reply = submit(stack, type="inquiry", email=email, details="Do you sell my data?")
    assert reply.status == 202, reply.body
    assert len(mails_to(stack, email)) == 1  # the receipt
    assert sends_counted(stack, email) == 1


def test_an_inquiry_over_the_send_cap_is_recorded_but_its_receipt_is_never_committed(stack: Harness):
    email = unique_email("cap-inquiry-over")
    spend_the_days_sends(stack, email)
    reply = submit(stack, type="inquiry", email=email, details="Do you sell my data?")
    assert reply.status == 202, reply.body  # the same reply as within the cap
    request_id = str(reply.json()["request_id"])
    assert outbox_notices(stack, request_id) == ["Request.Received"]
    assert mails_to(stack, email) == []


def test_a_verification_over_the_send_cap_commits_no_link(stack: Harness):
    email = unique_email("cap-link-over")
    spend_the_days_sends(stack, email)
    reply = submit(stack, type="delete", email=email)
    assert reply.status == 202, reply.body
    request_id = str(reply.json()["request_id"])
    assert outbox_notices(stack, request_id) == ["Request.Received"]
    assert mails_to(stack, email) == []


def test_a_verification_within_the_send_cap_is_committed_with_the_request_and_counted(stack: Harness):
    email = unique_email("cap-link")
    reply = submit(stack, type="delete", email=email)
    assert reply.status == 202, reply.body
    request_id = str(reply.json()["request_id"])
    assert outbox_notices(stack, request_id) == ["Request.Received", "verification"]
    assert sends_counted(stack, email) == 1
