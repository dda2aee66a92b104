"""[issue 16] Nothing is lost between a commit and its consequences.

For every state-changing path, a fault at the AWS boundary right after the commit (EventBridge,
SES or SNS refusing every attempt, or the sandbox dying as the transaction returns) leaves the
request reaching its next step once the outbox's stream consumer retries: one `completed` in its
audit, and no email sent twice. Faults are injected at the botocore boundary
(tests/support/faults.py); the outbox stream is delivered by the harness as Lambda's poller would,
one attempt per invocation, so retries happen after the fault, not inside it.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.sns.models import sns_backends

from privacydesk.requests.domain.model import RequestStatus, RequestType
from tests.support.email_flows import compose, deliver, register_account
from tests.support.faults import SES_THROTTLED, THROTTLED, Fault, SandboxCrash, inject, mentions, table_is
from tests.support.flows import admin, submit, unique_email, verification_token
from tests.support.fulfilment import drain_fulfilment, sms_code
from tests.support.harness import Harness, event_file
from tests.support.stored_requests import stored

pytestmark = pytest.mark.integration

BUS_DOWN = Fault("eventbridge", "PutEvents", THROTTLED)
MAIL_DOWN = Fault("sesv2", "SendEmail", SES_THROTTLED)
SMS_DOWN = Fault("sns", "Publish", THROTTLED)


def crash_after_commit(stack: Harness) -> Fault:
    """The sandbox dies as the request's transaction returns: committed, nothing after it ran."""
    return Fault(
        "dynamodb",
        "TransactWriteItems",
        crash=True,
        after=True,
        times=1,
        when=table_is(stack.physical("RequestsTable")),
    )


def settle(stack: Harness) -> None:
    """The fault is over: the stream poller keeps retrying until the outbox is delivered."""
    for _ in range(20):
        if stack.deliver_outbox() == 0:
            return
    raise AssertionError("the outbox did not drain")


def audit_actions(stack: Harness, request_id: str) -> list[str]:
    from privacydesk.requests.adapters.requests_store import RequestRepository

    stack.runner.activate("AdminApiFunction")
    return [e.action for e in RequestRepository().audit_trail(request_id)]


def status_of(stack: Harness, request_id: str) -> str:
    reply = admin(stack, "GET", f"/v1/admin/requests/{request_id}")
    assert reply.status == 200, reply.body
    return str(reply.json()["request"]["status"])


def subjects_about(stack: Harness, to: str, request_id: str) -> list[str]:
    """The subjects of the emails sent to `to` about this request, in order (duplicates kept)."""
    return [m["subject"] for m in stack.outbox(to=to) if m["headers"].get("X-PrivacyDesk-Request") == request_id]


def no_email_twice(stack: Harness, to: str, request_id: str) -> None:
    counts = Counter(subjects_about(stack, to, request_id))
    assert all(n == 1 for n in counts.values()), counts


class BusCapture:
    """An EventBridge rule on the PrivacyDesk bus copying request events to a fresh queue."""

    def __init__(self, stack: Harness, detail_types: list[str]) -> None:
        self.sqs = boto3.client("sqs", region_name=stack.stack.region)
        events = boto3.client("events", region_name=stack.stack.region)
        name = f"outbox-capture-{uuid.uuid4().hex[:10]}"
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = stack.physical("EventBus")
        pattern = {"source": ["privacydesk"], "detail-type": detail_types}
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "capture", "Arn": arn}])

    def about(self, key: str, value: str) -> list[str]:
        found: list[str] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                event: dict[str, Any] = json.loads(message["Body"])
                if event["detail"].get(key) == value:
                    found.append(event["detail-type"])
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


def submitted(stack: Harness, kind: str = "delete") -> tuple[str, str]:
    email = unique_email(f"outbox-{kind}")
    reply = submit(stack, type=kind, email=email)
    assert reply.status == 202, reply.body
    return email, str(reply.json()["request_id"])


def verify(stack: Harness, email: str, request_id: str, token: str | None = None) -> Any:
    token = token or verification_token(stack, email, request_id)
    return stack.http("POST", f"/v1/requests/{request_id}/verify", {"token": token})


# ---------------------------------------------------------------------------- the regression
def test_a_verified_delete_is_fulfilled_although_the_bus_refused_request_verified(stack: Harness):
    email, request_id = submitted(stack)
    token = verification_token(stack, email, request_id)
    only_verified = Fault("eventbridge", "PutEvents", THROTTLED, when=mentions("Request.Verified", request_id))
    with inject(only_verified) as faults:
        first = verify(stack, email, request_id, token)
        assert first.status == 200, first.body  # the commit stands; nobody is told to retry
        assert faults.injected["eventbridge.PutEvents"] > 0  # the consumer's delivery was refused
        drain_fulfilment(stack)
        assert status_of(stack, request_id) == "verified"  # nothing reached fulfilment while it lasts

    settle(stack)
    drain_fulfilment(stack)
    assert status_of(stack, request_id) == "completed"
    assert audit_actions(stack, request_id).count("completed") == 1
    retried = verify(stack, email, request_id, token)
    assert retried.status == 200, retried.body
    assert retried.json()["status"] == "completed"
    no_email_twice(stack, email, request_id)


# ---------------------------------------------------------------------------- submit
def test_submit_announces_request_received_after_the_bus_recovers(stack: Harness):
    capture = BusCapture(stack, ["Request.Received"])
    with inject(BUS_DOWN):
        _, request_id = submitted(stack)
    assert capture.about("request_id", request_id) == []
    settle(stack)
    assert capture.about("request_id", request_id) == ["Request.Received"]


def verification_links(stack: Harness, email: str) -> list[dict[str, Any]]:
    return [m for m in stack.outbox(to=email) if "/privacy/verify?" in m["text"]]


def test_a_sandbox_dying_after_submit_commits_still_sends_the_link_once_and_a_resubmission_adds_none(
    stack: Harness,
):
    email = unique_email("outbox-crash-submit")
    with inject(crash_after_commit(stack)), pytest.raises(SandboxCrash):
        submit(stack, type="access", email=email)
    again = submit(stack, type="access", email=email)  # the requester, seeing no reply, tries again
    assert again.status == 202, again.body
    (link,) = verification_links(stack, email)  # the committed link; the live challenge is not renewed
    request_id = link["headers"]["X-PrivacyDesk-Request"]
    assert verify(stack, email, request_id).status == 200
    settle(stack)
    drain_fulfilment(stack)
    assert status_of(stack, request_id) == "completed"
    no_email_twice(stack, email, request_id)


def outbox_items_of(stack: Harness, request_id: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name=stack.stack.region).Table(stack.physical("OutboxTable"))
    items: list[dict[str, Any]] = table.scan(ConsistentRead=True)["Items"]
    return [item for item in items if item.get("request_id") == request_id]


def test_the_outbox_holds_the_verification_link_only_until_it_is_delivered(stack: Harness):
    email = unique_email("outbox-secret")
    stack.delivers_outbox = False
    try:
        reply = submit(stack, type="delete", email=email)
    finally:
        stack.delivers_outbox = True
    assert reply.status == 202, reply.body
    request_id = str(reply.json()["request_id"])
    assert verification_links(stack, email) == []  # nothing is sent by the request's own call
    (waiting,) = [i for i in outbox_items_of(stack, request_id) if i["notice"] == "verification"]
    assert "/privacy/verify?" in json.dumps(waiting["payload"], default=str)  # committed with the request
    settle(stack)
    token = verification_token(stack, email, request_id)
    (delivered,) = [i for i in outbox_items_of(stack, request_id) if i["notice"] == "verification"]
    assert delivered.get("delivered_at")
    assert "payload" not in delivered
    assert token not in json.dumps(delivered, default=str)
    assert verify(stack, email, request_id, token).status == 200  # the delivered link still works


# ---------------------------------------------------------------------------- verify
def test_the_acknowledgement_is_sent_once_after_ses_recovers(stack: Harness):
    email, request_id = submitted(stack, "access")
    with inject(MAIL_DOWN):
        assert verify(stack, email, request_id).status == 200
    assert "Your privacy request is confirmed" not in subjects_about(stack, email, request_id)
    settle(stack)
    drain_fulfilment(stack)
    settle(stack)
    assert status_of(stack, request_id) == "completed"
    assert len(subjects_about(stack, email, request_id)) == 3  # link, acknowledgement, completion
    no_email_twice(stack, email, request_id)


def test_a_sandbox_dying_after_verify_commits_still_fulfils_and_the_retry_answers_200(stack: Harness):
    email, request_id = submitted(stack)
    token = verification_token(stack, email, request_id)
    with inject(crash_after_commit(stack)), pytest.raises(SandboxCrash):
        verify(stack, email, request_id, token)
    retried = verify(stack, email, request_id, token)
    assert retried.status == 200, retried.body
    settle(stack)
    drain_fulfilment(stack)
    assert audit_actions(stack, request_id).count("completed") == 1
    assert audit_actions(stack, request_id).count("verified") == 1
    no_email_twice(stack, email, request_id)


# ---------------------------------------------------------------------------- approve
def _verified_update(stack: Harness) -> tuple[str, str]:
    email = unique_email("outbox-update")
    register_account(email)
    reply = submit(stack, type="update", email=email, corrections={"name": "Corrected Name"})
    assert reply.status == 202, reply.body
    request_id = str(reply.json()["request_id"])
    assert verify(stack, email, request_id).status == 200
    settle(stack)
    drain_fulfilment(stack)  # awaits approval: nothing to do yet
    assert status_of(stack, request_id) == "verified"
    return email, request_id


def test_an_approval_whose_event_the_bus_refused_is_fulfilled_after_the_retry(stack: Harness):
    email, request_id = _verified_update(stack)
    with inject(BUS_DOWN):
        assert admin(stack, "POST", f"/v1/admin/requests/{request_id}/approve").status == 200
        drain_fulfilment(stack)
        assert status_of(stack, request_id) == "verified"  # Request.Approved has not reached the bus
    settle(stack)
    drain_fulfilment(stack)
    settle(stack)
    assert status_of(stack, request_id) == "completed"
    assert audit_actions(stack, request_id).count("completed") == 1
    no_email_twice(stack, email, request_id)


def test_a_sandbox_dying_after_an_approval_commits_answers_200_on_the_retry_and_fulfils_once(stack: Harness):
    email, request_id = _verified_update(stack)
    with inject(crash_after_commit(stack)), pytest.raises(SandboxCrash):
        admin(stack, "POST", f"/v1/admin/requests/{request_id}/approve")
    again = admin(stack, "POST", f"/v1/admin/requests/{request_id}/approve")
    assert again.status == 200, again.body
    settle(stack)
    drain_fulfilment(stack)
    settle(stack)
    assert audit_actions(stack, request_id).count("approved") == 1
    assert audit_actions(stack, request_id).count("completed") == 1
    no_email_twice(stack, email, request_id)


# ---------------------------------------------------------------------------- deny, extend, complete
def _verified_access_awaiting_the_dpo(stack: Harness) -> tuple[str, str]:
    """A verified request whose fulfilment has not run (its queue is not drained)."""
    email, request_id = submitted(stack, "access")
    assert verify(stack, email, request_id).status == 200
    settle(stack)
    return email, request_id


@pytest.mark.parametrize("fault", [MAIL_DOWN, BUS_DOWN], ids=["ses", "eventbridge"])
def test_a_denial_is_announced_and_its_email_sent_once_after_the_fault(stack: Harness, fault: Fault):
    email, request_id = _verified_access_awaiting_the_dpo(stack)
    capture = BusCapture(stack, ["Request.Denied"])
    with inject(fault):
        reply = admin(stack, "POST", f"/v1/admin/requests/{request_id}/deny", {"reason": "We hold no data."})
    assert reply.status == 200, reply.body
    settle(stack)
    assert capture.about("request_id", request_id) == ["Request.Denied"]
    assert "About your privacy request" in subjects_about(stack, email, request_id)
    no_email_twice(stack, email, request_id)
    drain_fulfilment(stack)  # the Verified event's fulfilment finds a closed request and skips it
    assert status_of(stack, request_id) == "denied"


def test_an_extension_notice_is_sent_once_after_ses_recovers(stack: Harness):
    email, request_id = _verified_access_awaiting_the_dpo(stack)
    before = len(subjects_about(stack, email, request_id))
    with inject(MAIL_DOWN):
        body = {"reason": "Complex request.", "days": 10}
        assert admin(stack, "POST", f"/v1/admin/requests/{request_id}/extend", body).status == 200
    assert len(subjects_about(stack, email, request_id)) == before
    settle(stack)
    assert len(subjects_about(stack, email, request_id)) == before + 1
    no_email_twice(stack, email, request_id)
    drain_fulfilment(stack)


@pytest.mark.parametrize("fault", [MAIL_DOWN, BUS_DOWN], ids=["ses", "eventbridge"])
def test_a_completion_by_fulfilment_is_announced_and_emailed_once_after_the_fault(stack: Harness, fault: Fault):
    email, request_id = _verified_access_awaiting_the_dpo(stack)
    capture = BusCapture(stack, ["Request.Completed"])
    with inject(fault):
        drain_fulfilment(stack)
    assert status_of(stack, request_id) == "completed"
    settle(stack)
    assert capture.about("request_id", request_id) == ["Request.Completed"]
    assert audit_actions(stack, request_id).count("completed") == 1
    assert len(subjects_about(stack, email, request_id)) == 3  # link, acknowledgement, completion
    no_email_twice(stack, email, request_id)


def test_a_fulfilment_sandbox_dying_after_completion_commits_completes_once(stack: Harness):
    email, request_id = _verified_access_awaiting_the_dpo(stack)
    completion = Fault(
        "dynamodb",
        "TransactWriteItems",
        crash=True,
        after=True,
        times=1,
        when=mentions(request_id, '"completed"'),
    )
    with inject(completion), pytest.raises(SandboxCrash):
        drain_fulfilment(stack)
    settle(stack)
    drain_fulfilment(stack)  # SQS redelivers the message: the request is complete, so it is skipped
    settle(stack)
    assert audit_actions(stack, request_id).count("completed") == 1
    assert len(subjects_about(stack, email, request_id)) == 3
    no_email_twice(stack, email, request_id)


def test_the_completion_sms_is_sent_once_after_sns_recovers(stack: Harness):
    phone = f"+63917{uuid.uuid4().int % 10_000_000:07d}"
    reply = submit(stack, type="access", phone=phone)
    assert reply.status == 202, reply.body
    request_id = str(reply.json()["request_id"])
    code = sms_code(stack, phone)
    assert stack.http("POST", f"/v1/requests/{request_id}/verify", {"token": code}).status == 200
    settle(stack)
    with inject(SMS_DOWN):
        drain_fulfilment(stack)
    assert status_of(stack, request_id) == "completed"
    settle(stack)
    sent = sns_backends[stack.stack.account][stack.stack.region].sms_messages
    ready = [text for number, text in sent.values() if number == phone and "ready" in text]
    assert len(ready) == 1


# ---------------------------------------------------------------------------- expire
def _run_monitor_at(stack: Harness, moment: datetime) -> Any:
    event = {**event_file("deadline_monitor/scheduler_hourly.json"), "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return stack.invoke("DeadlineMonitorFunction", event)


@pytest.mark.parametrize("fault", [MAIL_DOWN, BUS_DOWN], ids=["ses", "eventbridge"])
def test_an_expiry_is_announced_and_its_notice_sent_once_after_the_fault(stack: Harness, fault: Fault):
    email = unique_email("outbox-expiry")
    received = datetime(2027, 5, 3, 2, tzinfo=UTC)
    request = stored(RequestType.DELETE, received, RequestStatus.PENDING_VERIFICATION, email)
    capture = BusCapture(stack, ["Request.Expired"])
    # The run looks at every open request on the shared stack: under SES down, other requests' DPO
    # warnings fail too, are released for the next run, and the run reports it by failing.
    with inject(fault), contextlib.suppress(RuntimeError):
        _run_monitor_at(stack, received + timedelta(days=15))
    assert status_of(stack, request.request_id) == "expired"
    settle(stack)
    assert capture.about("request_id", request.request_id) == ["Request.Expired"]
    expired = [s for s in subjects_about(stack, email, request.request_id) if "expired" in s]
    assert len(expired) == 1


# ---------------------------------------------------------------------------- email intake
def test_an_emailed_inquiry_is_acknowledged_once_after_ses_recovers(stack: Harness):
    email = unique_email("outbox-inquiry")
    register_account(email)
    with inject(MAIL_DOWN):
        outcome = deliver(stack, compose(email, "Hi", "Please delete my data and send me a copy first."))
    request_id = outcome["request_id"]
    assert subjects_about(stack, email, request_id) == []
    settle(stack)
    assert len(subjects_about(stack, email, request_id)) == 1


def test_a_sandbox_dying_after_email_intake_commits_still_announces_the_request(stack: Harness):
    email = unique_email("outbox-intake-crash")
    register_account(email)
    capture = BusCapture(stack, ["Request.Received"])
    message = compose(email, "Hi", "Please delete my data and send me a copy first.")
    with inject(crash_after_commit(stack)), pytest.raises(SandboxCrash):
        deliver(stack, message)
    settle(stack)
    assert capture.about("type", "inquiry").count("Request.Received") >= 1


# ---------------------------------------------------------------------------- policy publish
def test_a_published_policy_is_announced_after_the_bus_recovers(stack: Harness):
    capture = BusCapture(stack, ["Policy.Published"])
    version = f"2031-01-01.{uuid.uuid4().hex[:8]}"
    draft = {
        "version": version,
        "last_updated": "2031-01-01",
        "effective_at": "2031-01-01T00:00:00Z",
        "significant": False,
        "summary": "Wording.",
        "body": "# Privacy Policy\n\n## 1. Introduction\n\nHello.\n",
    }
    with inject(BUS_DOWN):
        assert admin(stack, "POST", "/v1/admin/policy/versions", draft).status == 201
    assert capture.about("version", version) == []
    settle(stack)
    assert capture.about("version", version) == ["Policy.Published"]
    replay = admin(stack, "POST", "/v1/admin/policy/versions", draft)
    assert replay.status == 200
    settle(stack)
    assert capture.about("version", version) == []  # the replay announces nothing more


# ---------------------------------------------------------------------------- the DPO answers
def test_the_dpos_answer_to_an_inquiry_is_sent_once_after_a_crash_right_after_the_commit(stack: Harness):
    email, request_id = submitted(stack, "inquiry")
    with inject(crash_after_commit(stack)), pytest.raises(SandboxCrash):
        admin(stack, "POST", f"/v1/admin/requests/{request_id}/complete", {"message": "We never sell data."})
    settle(stack)
    assert status_of(stack, request_id) == "answered"
    assert audit_actions(stack, request_id).count("completed") == 1
    assert subjects_about(stack, email, request_id).count("Your privacy request is complete") == 1
    no_email_twice(stack, email, request_id)


# ---------------------------------------------------------------------------- the DPO's deadline notices
DPO = "dpo@example.com"  # the DpoEmail parameter's default


def dpo_notices_about(stack: Harness, request_id: str, kind: str) -> list[str]:
    return [s for s in subjects_about(stack, DPO, request_id) if s.startswith(f"[{kind}]")]


def _inquiry_nearing_its_acknowledgement() -> tuple[str, datetime]:
    """An inquiry received Monday 1 March 2027, 09:00 Manila, and the moment its warning falls due
    (75% of 48 business hours: Tuesday 21:00 Manila, 13:00 UTC)."""
    received = datetime(2027, 3, 1, 1, tzinfo=UTC)
    inquiry = stored(RequestType.INQUIRY, received, RequestStatus.RECEIVED, unique_email("outbox-warning"))
    return inquiry.request_id, datetime(2027, 3, 2, 13, tzinfo=UTC)


def test_the_dpo_gets_exactly_one_deadline_warning_although_ses_refused_it_at_first(stack: Harness):
    request_id, due = _inquiry_nearing_its_acknowledgement()
    with inject(MAIL_DOWN):
        summary = _run_monitor_at(stack, due)  # the run commits the warning; SES is not its concern
    assert request_id in summary["sent"]["acknowledge_warning"]
    assert dpo_notices_about(stack, request_id, "deadline-warning") == []
    settle(stack)
    _run_monitor_at(stack, due + timedelta(hours=1))  # the next run does not warn again
    settle(stack)
    assert len(dpo_notices_about(stack, request_id, "deadline-warning")) == 1


def test_the_dpo_gets_exactly_one_deadline_warning_when_the_monitor_dies_right_after_its_commit(stack: Harness):
    request_id, due = _inquiry_nearing_its_acknowledgement()
    crash = Fault(
        "dynamodb", "TransactWriteItems", crash=True, after=True, times=1, when=mentions(request_id, "deadline_check")
    )
    with inject(crash), pytest.raises(SandboxCrash):
        _run_monitor_at(stack, due)
    settle(stack)
    _run_monitor_at(stack, due + timedelta(hours=1))  # the check was committed: nothing is due again
    settle(stack)
    assert len(dpo_notices_about(stack, request_id, "deadline-warning")) == 1
    assert audit_actions(stack, request_id).count("deadline_check") == 1


def test_a_breach_reaches_the_bus_and_the_dpo_once_after_the_bus_and_ses_recover(stack: Harness):
    request_id, _ = _inquiry_nearing_its_acknowledgement()
    breach_due = datetime(2027, 3, 3, 1, tzinfo=UTC)  # 48 business hours after receipt
    capture = BusCapture(stack, ["Deadline.Breached"])
    with inject(BUS_DOWN, MAIL_DOWN):
        _run_monitor_at(stack, breach_due + timedelta(minutes=1))
    assert capture.about("request_id", request_id) == []
    settle(stack)
    assert capture.about("request_id", request_id) == ["Deadline.Breached"]
    assert len(dpo_notices_about(stack, request_id, "deadline-breach")) == 1
    assert dpo_notices_about(stack, request_id, "deadline-warning") == []  # superseded by the breach
