"""[issue 20] On the running stand-in: a correction reaches the processor that received the data,
the requester is told which processor was told, and the DPO confirms the notice with the CLI."""

from __future__ import annotations

import time
from typing import Any

import pytest

from local.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import RunningStack
from tests.e2e.test_fulfilment_stand_in import _completion_email, _submit_and_verify

pytestmark = pytest.mark.e2e

PAYMENT_PROCESSOR = "dpo@payments.example.com"


def _notice_to(running: RunningStack, to: str, request_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 120  # the dispatcher's pollers deliver the outbox on their own
    while time.monotonic() < deadline:
        found = [m for m in running.outbox(to=to) if f"{request_id}/" in m["subject"]]
        if found:
            return found
        time.sleep(0.5)
    return []


def test_a_correction_is_passed_to_the_payment_processor_and_the_dpo_confirms_it_with_the_cli(
    running: RunningStack,
):
    carla = DEMO_ACCOUNTS[2]
    body = {"type": "update", "email": carla["email"], "corrections": {"name": "Carla Reyes-Tan"}}
    request_id = _submit_and_verify(running, body)
    code, approved = running.cli("requests", "approve", request_id)
    assert code == 0, approved
    running.drain()

    notices = _notice_to(running, PAYMENT_PROCESSOR, request_id)
    assert len(notices) == 1
    assert "name = Carla Reyes-Tan" in notices[0]["text"]
    assert carla["email"] not in notices[0]["text"]
    assert "our payment processor" in _completion_email(running, carla["email"])["text"]

    code, listed = running.cli("processors", "list", request_id)
    assert code == 0, listed
    assert [(row["processor"], row["status"]) for row in listed["processors"]] == [("payment_processor", "pending")]

    code, confirmed = running.cli("processors", "confirm", request_id, "payment_processor", "--note", "email 2 Dec")
    assert code == 0, confirmed
    assert confirmed["processors"][0]["status"] == "confirmed"
    code, audit = running.cli("audit", "verify", request_id)
    assert code == 0, audit  # the confirmation joined the tamper-evident trail
