"""[issue 20] A processor is told exactly once whatever fails after the completion commits: SES
refusing every send for a while, or a processor's webhook answering 500 before it recovers."""

from __future__ import annotations

from typing import Any

import pytest

from privacydesk.processors.domain import model as processor_model
from tests.faults.test_outbox_faults import MAIL_DOWN, settle
from tests.integration.test_processor_notices import INBOX, audit_of, notices_to, processors_of
from tests.support.faults import inject
from tests.support.flows import submit_and_verify
from tests.support.fulfilment import drain_fulfilment, new_account
from tests.support.harness import Harness
from tests.support.processor_webhook import webhook_processor

pytestmark = pytest.mark.integration


def erase(stack: Harness) -> tuple[dict[str, Any], str]:
    # What earlier tests in this worker left on the outbox stream goes first: a backlog ahead of this
    # test's records would end the poller's first round at the first failed send, before them.
    settle(stack)
    person = new_account(stack, messages=1)
    receipt = submit_and_verify(stack, type="delete", email=person["email"])
    return person, str(receipt["request_id"])


def test_ses_down_right_after_the_completion_commit_still_tells_each_processor_once(stack: Harness):
    _, request_id = erase(stack)
    with inject(MAIL_DOWN) as faults:
        drain_fulfilment(stack)
        assert faults.injected["sesv2.SendEmail"] > 0
    assert all(notices_to(stack, processor, request_id) == [] for processor in INBOX)
    assert {row["status"] for row in processors_of(stack, request_id).values()} == {"pending"}

    settle(stack)
    settle(stack)  # a second round of the poller finds nothing more to send
    for processor in INBOX:
        assert len(notices_to(stack, processor, request_id)) == 1, processor
    assert [e["action"] for e in audit_of(stack, request_id)].count("completed") == 1


def test_a_webhook_processor_gets_one_signed_notice_with_only_its_identifier(stack: Harness, monkeypatch):
    with webhook_processor(stack.stack.region) as (receiver, processors):
        monkeypatch.setattr(processor_model, "load_processors", lambda: processors)
        person, request_id = erase(stack)
        drain_fulfilment(stack)
        settle(stack)
    notice = receiver.accepted[f"{request_id}/crm_vendor"]
    assert notice["action"] == "erase"
    assert notice["subject"] == {"account_id": person["account_id"]}
    assert notice["data"] == {"accounts": ["email", "name"]}
    assert receiver.refused_signatures == 0
    assert processors_of(stack, request_id)["crm_vendor"]["status"] == "pending"


def test_a_webhook_answering_500_is_retried_until_it_accepts_and_is_sent_once_after(stack: Harness, monkeypatch):
    with webhook_processor(stack.stack.region, "crm_flaky") as (receiver, processors):
        monkeypatch.setattr(processor_model, "load_processors", lambda: processors)
        receiver.fail_next = 2
        _, request_id = erase(stack)
        drain_fulfilment(stack)
        settle(stack)
        settle(stack)
    assert receiver.fail_next == 0  # both failures were answered, then the retry got through
    assert list(receiver.accepted) == [f"{request_id}/crm_flaky"]
    assert receiver.deliveries == 1
