"""[issue 20] The whole scenario on a stand-in started as a company with its own services starts it:
`python -m local.run --parameter-overrides DataMapFile=datamap.services.yaml BillingServiceUrl=...`.

One person asks for an Access, then a Delete. Their data is in a PrivacyDesk table (accounts,
message logs), a table that existed before PrivacyDesk (support tickets, made outside the template),
S3 prefixes (their sender-ID documents, their support attachments), the company's billing service
(the webhook contract, answering asynchronously with a signed callback, tests/support/webhook_receiver.py)
and the paper archive (a manual task the DPO completes with the CLI). The Delete is passed on to the
processors; the DPO confirms one notice with the CLI. Asserted: what the person gets (the export from
every store, the completion notice naming the processors told) and what the DPO sees (statuses, tasks,
processor notices, the audit trail), and that the data is gone from every store.
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import requests

from local.seed import DEMO_ACCOUNTS
from privacydesk.fulfilment.domain.webhook_signing import KeyRing, SigningKey
from tests.e2e.test_fulfilment_stand_in import _admin_get, _submit_and_verify
from tests.support.standin import RunningStack, stand_in
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

PERSON = DEMO_ACCOUNTS[0]
SUBSCRIPTION = {"subscription_id": "sub-1", "plan": "pro", "card_last4": "4242", "started_at": "2025-03-01"}
TICKET_ID = "T-scenario-1"
ATTACHMENT = "screenshot.txt"
SCAN = b"contract signed 2019, page 1"


@pytest.fixture(scope="module")
def company() -> Iterator[WebhookReceiver]:
    """The company's billing service on loopback; it learns its signing keys once the stack made them."""
    with WebhookReceiver(KeyRing(SigningKey("k0", "not-yet-deployed"))) as service:
        service.state.mode = "async"
        yield service


@pytest.fixture(scope="module")
def services_stack(tmp_path_factory: pytest.TempPathFactory, company: WebhookReceiver) -> Iterator[RunningStack]:
    folder = tmp_path_factory.mktemp("standin-services")
    overrides = ["DataMapFile=datamap.services.yaml", f"BillingServiceUrl={company.url}"]
    with stand_in(folder, "--parameter-overrides", *overrides) as running:
        # The operator hands the service the keys the stack generated (Secrets Manager), as on AWS.
        secret = running.aws("secretsmanager").get_secret_value(
            SecretId=running.info["physical"]["BillingServiceSigningSecret"]
        )
        company.state.keys = KeyRing.from_secret_string(secret["SecretString"])
        yield running


def _company_data(running: RunningStack, company: WebhookReceiver) -> None:
    """What the company's other systems hold about the person, written the way they write it."""
    parameters = running.info["parameters"]
    running.aws("dynamodb").put_item(
        TableName=parameters["SupportTicketsTable"],
        Item={
            "ticket_id": {"S": TICKET_ID},
            "account_id": {"S": PERSON["account_id"]},
            "email": {"S": PERSON["email"]},
            "subject": {"S": "Refund for March"},
            "body": {"S": "Please refund the duplicate charge."},
            "status": {"S": "closed"},
            "created_at": {"S": "2026-03-02T08:00:00+00:00"},
        },
    )
    running.aws("s3").put_object(
        Bucket=parameters["SupportAttachmentsBucket"],
        Key=f"attachments/{PERSON['email']}/{ATTACHMENT}",
        Body=b"the duplicate charge",
    )
    company.state.records[PERSON["email"]] = [dict(SUBSCRIPTION)]


def _request(running: RunningStack, request_id: str) -> dict[str, Any]:
    found: dict[str, Any] = _admin_get(running, f"/v1/admin/requests/{request_id}")
    return found


def _wait_for(running: RunningStack, request_id: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while True:
        detail = _request(running, request_id)
        if detail["request"]["status"] in statuses or time.monotonic() > deadline:
            return detail
        running.drain()
        time.sleep(0.5)


def _deliver_callbacks(running: RunningStack, company: WebhookReceiver) -> list[dict[str, Any]]:
    """The service finishes what it accepted and calls back, signed, at the URL it was given."""
    deadline = time.monotonic() + 60
    while not company.state.accepted and time.monotonic() < deadline:
        time.sleep(0.2)
    answers = []
    for callback in company.callbacks():
        reply = requests.post(
            f"{running.api}{urlparse(callback.url).path}", data=callback.body, headers=callback.headers, timeout=30
        )
        assert reply.status_code == 200, reply.text
        answers.append(reply.json())
    return answers


def _open_task(running: RunningStack, request_id: str) -> dict[str, Any]:
    code, listed = running.cli("tasks", "list", "--request-id", request_id)
    assert code == 0, listed
    (task,) = [t for t in listed["items"] if t["state"] == "open"]
    return dict(task)


def _completion_emails(running: RunningStack) -> list[dict[str, Any]]:
    return [m for m in running.outbox(to=PERSON["email"]) if m["subject"] == "Your privacy request is complete"]


def _emailed_export(running: RunningStack, email: dict[str, Any]) -> zipfile.ZipFile:
    link = re.search(r"Download it here .*?: (\S+)", email["text"])
    assert link is not None, email["text"]
    redirect = requests.get(link.group(1), allow_redirects=False, timeout=30)
    assert redirect.status_code == 302, redirect.text
    return zipfile.ZipFile(io.BytesIO(requests.get(redirect.headers["Location"], timeout=30).content))


def _wait_for_completion_email(running: RunningStack, count: int) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while len(found := _completion_emails(running)) < count and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(found) >= count, [m["subject"] for m in running.outbox(to=PERSON["email"])]
    return found[count - 1]


def test_an_access_then_a_delete_span_every_kind_of_store_and_the_processors(
    services_stack: RunningStack, company: WebhookReceiver, tmp_path: Path
):
    running = services_stack
    _company_data(running, company)

    # ---------------------------------------------------------------- Access
    access_id = _submit_and_verify(running, {"type": "access", "email": PERSON["email"]})
    waiting = _wait_for(running, access_id, {"awaiting_external_steps", "completed", "failed"})
    assert waiting["request"]["status"] == "awaiting_external_steps", waiting["request"].get("outcome")
    assert {n: s["state"] for n, s in waiting["request"]["outcome"]["external_steps"].items()} == {
        "billing_service": "pending",
        "paper_archive": "pending",
    }
    assert _deliver_callbacks(running, company) == [{"status": "recorded"}]
    task = _open_task(running, access_id)
    assert (task["store"], task["operation"]) == ("paper_archive", "export")
    scan = tmp_path / "contract-scan.txt"
    scan.write_bytes(SCAN)
    code, done = running.cli(
        "tasks",
        "complete",
        f"{access_id}/paper_archive",
        "--note",
        "1 contract",
        "--records",
        "1",
        "--attachment",
        str(scan),
    )
    assert code == 0, done
    assert _wait_for(running, access_id, {"completed", "failed"})["request"]["status"] == "completed"

    bundle = _emailed_export(running, _wait_for_completion_email(running, 1))
    names = set(bundle.namelist())
    assert len(json.loads(bundle.read("message_logs.json"))) == 12  # a PrivacyDesk table
    assert TICKET_ID in bundle.read("support_tickets.json").decode()  # the table made outside the template
    assert f"files/support_attachments/{ATTACHMENT}" in names  # an S3 prefix (the existing bucket)
    assert PERSON["company"] in bundle.read("files/account_documents/business-permit.txt").decode()
    assert "4242" in bundle.read("billing_service.json").decode()  # the company's own service
    assert bundle.read("files/paper_archive/contract-scan.txt") == SCAN  # the DPO's manual step

    # ---------------------------------------------------------------- Delete
    delete_id = _submit_and_verify(running, {"type": "delete", "email": PERSON["email"]})
    waiting = _wait_for(running, delete_id, {"awaiting_external_steps", "completed", "failed"})
    assert waiting["request"]["status"] == "awaiting_external_steps", waiting["request"].get("outcome")
    assert _deliver_callbacks(running, company) == [{"status": "recorded"}]
    assert _open_task(running, delete_id)["operation"] == "erase"
    code, done = running.cli(
        "tasks", "complete", f"{delete_id}/paper_archive", "--note", "contract shredded", "--records", "1"
    )
    assert code == 0, done
    finished = _wait_for(running, delete_id, {"completed", "failed"})
    assert finished["request"]["status"] == "completed", finished["request"].get("outcome")

    # the data is gone from every store
    parameters, physical = running.info["parameters"], running.info["physical"]
    dynamodb, s3 = running.aws("dynamodb"), running.aws("s3")
    accounts = dynamodb.get_item(TableName=physical["AccountsTable"], Key={"account_id": {"S": PERSON["account_id"]}})
    assert "Item" not in accounts
    ticket = dynamodb.get_item(TableName=parameters["SupportTicketsTable"], Key={"ticket_id": {"S": TICKET_ID}})
    assert "Item" not in ticket
    attachments = s3.list_objects_v2(Bucket=parameters["SupportAttachmentsBucket"], Prefix="attachments/")
    assert not [o for o in attachments.get("Contents", []) if PERSON["email"] in o["Key"]]
    documents = s3.list_objects_v2(
        Bucket=physical["AccountDocumentsBucket"], Prefix=f"sender-id/{PERSON['account_id']}/"
    )
    assert documents.get("KeyCount", 0) == 0
    assert PERSON["email"] not in company.state.records  # the billing service erased its records
    assert company.state.performed["erase"] == 1  # once, whatever was retried
    outcome = finished["request"]["outcome"]
    assert outcome["stores"]["billing_service"]["deleted"] == 1  # the service's own account
    assert outcome["stores"]["paper_archive"]["deleted"] == 1  # the DPO's

    # the person is told which processors were told; the DPO confirms one of them with the CLI
    told = set(outcome["processors"])
    assert {"payment_processor", "sms_gateway"} <= told
    notice = _wait_for_completion_email(running, 2)
    assert "our payment processor" in notice["text"]
    code, listed = running.cli("processors", "list", delete_id)
    assert code == 0, listed
    assert {row["processor"]: row["status"] for row in listed["processors"]} == dict.fromkeys(told, "pending")
    code, confirmed = running.cli(
        "processors", "confirm", delete_id, "payment_processor", "--note", "erased, their ref 77"
    )
    assert code == 0, confirmed
    statuses = {row["processor"]: row["status"] for row in confirmed["processors"]}
    assert statuses["payment_processor"] == "confirmed"

    # the compliance report (CLI) counts the notices per processor and the two manual tasks
    today = datetime.now(UTC).date()
    code, report = running.cli(
        "report", "--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=2))
    )
    assert code == 0, report
    assert report["processor_notices"]["payment_processor"] == {"pending": 0, "confirmed": 1, "overdue": 0}
    assert report["processor_notices"]["sms_gateway"] == {"pending": 1, "confirmed": 0, "overdue": 0}
    assert (report["manual_tasks"]["open"], report["manual_tasks"]["closed"]) == (0, 2)

    # the DPO's trail: every external step, the completion and the confirmation, tamper-evident
    actions = [event["action"] for event in _request(running, delete_id)["audit"]]
    expected = ["external_steps_pending", "external_step_resolved", "external_steps_resolved", "completed"]
    assert [a for a in actions if a in expected] == expected  # the callback, then the task (the last step)
    assert actions[-1] == "processor_confirmed"
    code, audit = running.cli("audit", "verify", delete_id)
    assert code == 0, audit
