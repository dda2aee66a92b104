"""Stores PrivacyDesk cannot read itself (issue 20): a company service behind the webhook contract
(tests/support/webhook_receiver.py, on loopback) and a manual step the DPO does by hand.

An Access and a Delete span a PrivacyDesk table, the webhook service (asynchronous: 202, then a
signed callback) and one manual task; the request waits, visibly, until the last step resolves. The
faults (timeout, HTTP 500, bad signature, a callback twice) are each handled and audited, and
nothing is done twice.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest

from privacydesk.fulfilment.domain.webhook_signing import KeyRing
from tests.support.flows import admin, submit_and_verify
from tests.support.fulfilment import drain_fulfilment, new_account
from tests.support.harness import Harness
from tests.support.webhook_receiver import Callback, WebhookReceiver

pytestmark = pytest.mark.integration

RETENTION = {"period_days": 365, "legal_basis": "Contract", "reason": "Kept by the owning team's own policy."}
WEBHOOK_STORE: dict[str, Any] = {
    "name": "billing_service",
    "kind": "webhook",
    "category": "account",
    "description": "Invoices - kept by the billing service in its own database.",
    "service": {"env": "BILLING_SERVICE", "parameter": "BillingService"},
    "timeout_seconds": 0.3,
    "lookups": [],
    "fields": ["invoice_id", "plan", "amount", "created_at"],
    "erasure": {"method": "delete"},
    "retention": RETENTION,
    "legal_basis": "Contract (billing)",
}
MANUAL_STORE: dict[str, Any] = {
    "name": "support_desk",
    "kind": "manual",
    "category": "personal",
    "description": "Support tickets - in the hosted helpdesk, which has no API.",
    "instructions": "Search the helpdesk for the subject's tickets (by the request's verified email).",
    "lookups": [],
    "fields": ["ticket", "created_at"],
    "erasure": {"method": "delete"},
    "retention": RETENTION,
    "legal_basis": "Legitimate interest (support)",
}
INVOICE = {"invoice_id": "inv-1", "plan": "pro", "amount": 49, "created_at": "2026-10-01", "internal_note": "vip"}


# The stack as a company deploys it with its services data map (which has the billing_service webhook
# store), its own signing keys (BillingServiceSigningSecretArn) and its service's URL (BillingServiceUrl).
SERVICES_PARAMETERS = {"DataMapFile": "datamap.services.yaml"}


@pytest.fixture(scope="module")
def receiver(stack: Harness) -> Iterator[WebhookReceiver]:
    """The company service, holding the keys the operator stored, at the stack's BillingServiceUrl."""
    from local import iam_guard

    keys = {"current_key_id": "k1", "current_secret": "integration-test-signing-key"}
    secrets = boto3.client("secretsmanager", region_name=stack.stack.region)
    arn = secrets.create_secret(Name="billing-service-signing", SecretString=json.dumps(keys))["ARN"]
    before = dict(stack.stack.parameters)
    with WebhookReceiver(KeyRing.from_secret_string(json.dumps(keys))) as running:
        stack.stack.parameters.update(
            {**SERVICES_PARAMETERS, "BillingServiceUrl": running.url, "BillingServiceSigningSecretArn": arn}
        )
        iam_guard.install(stack.stack)  # the roles as these parameters make them (the store's key grant)
        try:
            yield running
        finally:
            stack.stack.parameters.clear()
            stack.stack.parameters.update(before)
            iam_guard.install(stack.stack)
            secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def _use_stores(monkeypatch: pytest.MonkeyPatch, *extra: dict[str, Any]) -> None:
    """The checked-in data map plus these external stores, for every function in this process."""
    from privacydesk import bootstrap as wiring
    from privacydesk.datamap.domain import model as datamap_model
    from privacydesk.fulfilment.adapters import webhook_connector

    real = datamap_model.load_datamap_file("datamap.yaml")
    extended = datamap_model.DataMap.model_validate(
        {"version": real.version, "stores": [*(s.model_dump() for s in real.stores), *extra]}
    )
    monkeypatch.setattr(datamap_model, "load_datamap", lambda: extended)
    monkeypatch.setattr(webhook_connector, "BACKOFF_SECONDS", 0.0)  # retries at once, not after seconds
    wiring.fulfilment_services.cache_clear()
    wiring.request_services.cache_clear()


def _finish_what_earlier_tests_left(stack: Harness) -> None:
    """Requests other tests (other files, on this worker) left queued are fulfilled with the data map
    they were made under, not handed to this file's external stores and their callbacks."""
    stack.deliver_outbox()
    drain_fulfilment(stack, rounds=50)


@pytest.fixture
def both(stack: Harness, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    _finish_what_earlier_tests_left(stack)
    _use_stores(monkeypatch, WEBHOOK_STORE, MANUAL_STORE)
    receiver.state.mode = "async"
    receiver.state.accepted.clear()  # what earlier tests left waiting is theirs
    yield receiver
    _reset_wiring()


@pytest.fixture
def webhook_only(
    stack: Harness, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebhookReceiver]:
    _finish_what_earlier_tests_left(stack)
    _use_stores(monkeypatch, WEBHOOK_STORE)
    receiver.state.mode = "sync"
    yield receiver
    _reset_wiring()


def _reset_wiring() -> None:
    from privacydesk import bootstrap as wiring

    wiring.fulfilment_services.cache_clear()
    wiring.request_services.cache_clear()


def detail(stack: Harness, request_id: str) -> dict[str, Any]:
    reply = admin(stack, "GET", f"/v1/admin/requests/{request_id}")
    assert reply.status == 200, reply.body
    found: dict[str, Any] = reply.json()
    return found


def actions(found: dict[str, Any]) -> list[str]:
    return [event["action"] for event in found["audit"]]


def deliver(stack: Harness, callback: Callback, **changes: Any) -> Any:
    headers = {**callback.headers, **changes}
    return stack.http("POST", urlparse(callback.url).path, headers=headers, raw_body=callback.body)


def person_with_invoice(stack: Harness, receiver: WebhookReceiver) -> dict[str, Any]:
    person = new_account(stack, messages=2)
    receiver.state.records[person["email"]] = [dict(INVOICE)]
    return person


def complete_task(stack: Harness, request_id: str, body: dict[str, Any]) -> Any:
    return admin(stack, "POST", f"/v1/admin/tasks/{request_id}/support_desk/complete", body)


def performed(receiver: WebhookReceiver, operation: str) -> int:
    return receiver.state.performed[operation]


# --------------------------------------------------------------------------- end to end
def test_an_access_waits_for_the_service_and_the_task_then_exports_all_three(stack: Harness, both: WebhookReceiver):
    person = person_with_invoice(stack, both)
    request_id = submit_and_verify(stack, type="access", email=person["email"])["request_id"]
    drain_fulfilment(stack)

    waiting = detail(stack, request_id)
    assert waiting["request"]["status"] == "awaiting_external_steps"
    steps = waiting["request"]["outcome"]["external_steps"]
    assert {name: step["state"] for name, step in steps.items()} == {
        "billing_service": "pending",
        "support_desk": "pending",
    }
    tasks = admin(stack, "GET", "/v1/admin/tasks").json()["items"]
    task = next(t for t in tasks if t["request_id"] == request_id)
    assert task["store"] == "support_desk"
    assert task["operation"] == "export"
    assert task["state"] == "open"
    assert person["email"] not in json.dumps(task)  # the task names the subject by the request, not by contact

    (callback,) = both.callbacks()
    assert deliver(stack, callback).json() == {"status": "recorded"}
    assert detail(stack, request_id)["request"]["status"] == "awaiting_external_steps"  # the task is still open

    attachment = {"file_name": "tickets.txt", "content_base64": base64.b64encode(b"ticket 7: refund").decode()}
    done = complete_task(stack, request_id, {"note": "two tickets found", "records": 2, "attachment": attachment})
    assert done.status == 200, done.body
    drain_fulfilment(stack)

    finished = detail(stack, request_id)
    assert finished["request"]["status"] == "completed"
    stores = finished["request"]["outcome"]["stores"]
    assert stores["billing_service"]["records"] == 1
    assert stores["support_desk"]["files"] == 1
    assert stores["message_logs"]["records"] == 2
    key = finished["request"]["outcome"]["export"]["key"]
    body = boto3.client("s3").get_object(Bucket=stack.physical("ExportBucket"), Key=key)["Body"].read()
    bundle = zipfile.ZipFile(io.BytesIO(body))
    assert json.loads(bundle.read("billing_service.json")) == [
        {k: v for k, v in INVOICE.items() if k != "internal_note"}
    ]
    assert bundle.read("files/support_desk/tickets.txt") == b"ticket 7: refund"


def test_the_requester_sees_their_request_waiting_on_external_steps(stack: Harness, both: WebhookReceiver):
    person = person_with_invoice(stack, both)
    receipt = submit_and_verify(stack, type="delete", email=person["email"])
    drain_fulfilment(stack)
    bearer = {"Authorization": f"Bearer {receipt['status_token']}"}
    status = stack.http("GET", f"/v1/requests/{receipt['request_id']}", headers=bearer)
    assert status.json()["status"] == "awaiting_external_steps"
    assert status.json()["closed_at"] is None  # open: the 30-day clock still runs


def test_a_delete_erases_the_table_the_service_and_the_task_and_reports_each(stack: Harness, both: WebhookReceiver):
    person = person_with_invoice(stack, both)
    request_id = submit_and_verify(stack, type="delete", email=person["email"])["request_id"]
    drain_fulfilment(stack)
    assert detail(stack, request_id)["request"]["status"] == "awaiting_external_steps"
    assert detail(stack, request_id)["request"]["outcome"].get("stores", {}) == {}  # nothing erased while waiting

    assert complete_task(stack, request_id, {"note": "deleted 3 tickets", "records": 3}).status == 200
    assert detail(stack, request_id)["request"]["status"] == "awaiting_external_steps"  # the service is pending
    (callback,) = both.callbacks()
    assert deliver(stack, callback).status == 200
    drain_fulfilment(stack)

    finished = detail(stack, request_id)
    assert finished["request"]["status"] == "completed"
    stores = finished["request"]["outcome"]["stores"]
    assert stores["billing_service"]["deleted"] == 1
    assert stores["support_desk"]["deleted"] == 3
    assert stores["accounts"]["deleted"] == 1
    assert person["email"] not in both.state.records
    assert performed(both, "erase") >= 1
    assert "external_steps_resolved" in actions(finished)


def test_a_second_callback_is_audited_and_changes_nothing(stack: Harness, both: WebhookReceiver):
    person = person_with_invoice(stack, both)
    request_id = submit_and_verify(stack, type="delete", email=person["email"])["request_id"]
    drain_fulfilment(stack)
    erased_before = performed(both, "erase")
    (callback,) = both.callbacks()

    assert deliver(stack, callback).json() == {"status": "recorded"}
    assert deliver(stack, callback).json() == {"status": "already_recorded"}
    assert complete_task(stack, request_id, {"note": "none found"}).status == 200
    assert complete_task(stack, request_id, {"note": "again"}).json()["error"]["code"] == "task_already_completed"
    drain_fulfilment(stack)

    finished = detail(stack, request_id)
    assert finished["request"]["status"] == "completed"
    assert actions(finished).count("external_step_replayed") == 2  # the second callback, the second completion
    assert actions(finished).count("completed") == 1
    assert performed(both, "erase") == erased_before + 1  # the service erased once


def test_a_callback_with_a_bad_signature_is_refused_and_the_step_stays_pending(stack: Harness, both: WebhookReceiver):
    person = person_with_invoice(stack, both)
    request_id = submit_and_verify(stack, type="access", email=person["email"])["request_id"]
    drain_fulfilment(stack)
    (callback,) = both.callbacks()
    forged = callback.headers["privacydesk-signature"].rsplit("v1=", 1)[0] + "v1=" + "0" * 64

    refused = deliver(stack, callback, **{"privacydesk-signature": forged})
    assert refused.status == 401
    assert refused.json()["error"]["code"] == "signature_invalid"
    steps = detail(stack, request_id)["request"]["outcome"]["external_steps"]
    assert steps["billing_service"]["state"] == "pending"


def test_a_failure_callback_leaves_the_request_failed_with_the_store_and_its_error(
    stack: Harness, both: WebhookReceiver
):
    person = person_with_invoice(stack, both)
    request_id = submit_and_verify(stack, type="delete", email=person["email"])["request_id"]
    drain_fulfilment(stack)
    (callback,) = both.callbacks(status="failed", error="ledger locked for audit")

    assert deliver(stack, callback).status == 200
    found = detail(stack, request_id)["request"]
    assert found["status"] == "failed"
    assert found["outcome"]["failure"]["store"] == "billing_service"
    assert found["outcome"]["failure"]["error"] == "ledger locked for audit"


# ---------------------------------------------------------------------------------- faults
def _fail_every_attempt(stack: Harness, receiver: WebhookReceiver, mode: str) -> tuple[str, dict[str, Any]]:
    person = person_with_invoice(stack, receiver)
    receiver.state.mode = mode
    receiver.state.delay_seconds = 0.6
    request_id = submit_and_verify(stack, type="delete", email=person["email"])["request_id"]
    drain_fulfilment(stack)  # every queue attempt, then the DLQ
    return request_id, detail(stack, request_id)


def test_a_service_answering_500_leaves_the_request_failed_with_a_report(stack: Harness, webhook_only):
    _request_id, found = _fail_every_attempt(stack, webhook_only, "error500")
    assert found["request"]["status"] == "failed"
    failure = found["request"]["outcome"]["failure"]
    assert failure["store"] == "billing_service"
    assert failure["reason"] == "answered HTTP 500 (3 attempts)"
    assert "fulfilment_failed" in actions(found)
    assert "accounts" not in found["request"]["outcome"].get("stores", {})  # nothing erased, never "done"


def test_a_service_that_times_out_fails_the_request_and_erases_once(stack: Harness, webhook_only):
    before = performed(webhook_only, "erase")
    _request_id, found = _fail_every_attempt(stack, webhook_only, "timeout")
    assert found["request"]["status"] == "failed"
    assert found["request"]["outcome"]["failure"]["reason"] == "timed out after 0.3 s (3 attempts)"
    # every attempt reached the service late; the idempotency key made it erase once
    assert webhook_only.state.calls["erase"] >= 3
    assert performed(webhook_only, "erase") == before + 1


def test_an_answer_with_a_bad_signature_is_refused(stack: Harness, webhook_only):
    before = performed(webhook_only, "erase")
    _request_id, found = _fail_every_attempt(stack, webhook_only, "bad_signature")
    assert found["request"]["status"] == "failed"
    assert found["request"]["outcome"]["failure"]["reason"] == "answer refused: signature_invalid"
    assert performed(webhook_only, "erase") == before


def test_a_partial_answer_is_never_taken_as_done(stack: Harness, webhook_only):
    _request_id, found = _fail_every_attempt(stack, webhook_only, "partial")
    assert found["request"]["status"] == "failed"
    assert found["request"]["outcome"]["failure"]["reason"] == "partial result: 2 of 3 shards answered"


def test_a_failed_request_is_finished_by_the_dlq_redrive_once_the_service_recovers(
    stack: Harness, webhook_only, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from local.provision import write_stack_file
    from privacydesk.ops import cli

    request_id, found = _fail_every_attempt(stack, webhook_only, "error500")
    assert found["request"]["status"] == "failed"
    webhook_only.state.mode = "sync"
    stack_file = tmp_path / "stack.json"
    write_stack_file(
        stack.stack, stack_file, credentials={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    )
    capsys.readouterr()
    assert cli.main(["--stack-file", str(stack_file), "dlq", "redrive", "FulfilmentDeadLetterQueue"]) == 0
    drain_fulfilment(stack)

    finished = detail(stack, request_id)
    assert finished["request"]["status"] == "completed"
    assert finished["request"]["outcome"]["stores"]["billing_service"]["deleted"] == 1
