"""The deadline monitor through its real handler under mock_aws, driven hour by hour with frozen
time (the scheduled event's `time`) across the Christmas week of 2026: 24 and 25 December and
30 and 31 December are Philippine holidays."""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from privacydesk.bootstrap import fresh_services
from privacydesk.kernel.mailer import SesMailer
from privacydesk.kernel.ports import OutgoingEmail
from privacydesk.requests.adapters.requests_store import RequestRepository
from privacydesk.requests.domain import dpo_actions as admin_actions
from privacydesk.requests.domain.model import RequestStatus, RequestType
from tests.support.flows import unique_email
from tests.support.harness import Harness, event_file
from tests.support.stored_requests import stored

pytestmark = pytest.mark.integration

DPO = "dpo@example.com"  # the DpoEmail parameter's default
HOUR = timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def capture_bus(stack: Harness, detail_types: list[str]) -> str:
    """An EventBridge rule on the PrivacyDesk bus that copies these events into a fresh queue."""
    sqs = boto3.client("sqs", region_name=stack.stack.region)
    events = boto3.client("events", region_name=stack.stack.region)
    name = f"capture-{uuid.uuid4().hex[:12]}"
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = stack.physical("EventBus")
    events.put_rule(
        Name=name, EventBusName=bus, EventPattern=json.dumps({"source": ["privacydesk"], "detail-type": detail_types})
    )
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "capture", "Arn": arn}])
    return url


def drain(stack: Harness, url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=stack.stack.region)
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def run_at(stack: Harness, moment: datetime) -> dict[str, Any]:
    event = {**event_file("deadline_monitor/scheduler_hourly.json"), "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
    summary: dict[str, Any] = stack.invoke("DeadlineMonitorFunction", event)
    return summary


def notices_for(stack: Harness, to: str, request_id: str) -> list[str]:
    return [m["subject"] for m in stack.outbox(to=to) if m["headers"].get("X-PrivacyDesk-Request") == request_id]


def test_a_christmas_week_of_hourly_runs_fires_each_warning_and_breach_once_on_time(stack: Harness, capsys):
    requester = unique_email("pending")
    # An inquiry received Wednesday 23 Dec, 10:00 Manila: 14 business hours that day, then the
    # holidays (24, 25) and the weekend; 36 h (75%) at Mon 28 Dec 22:00, 48 h at Tue 29 Dec 10:00.
    christmas = stored(RequestType.INQUIRY, utc(2026, 12, 23, 2), RequestStatus.RECEIVED, unique_email())
    # An inquiry received Monday 21 Dec, 09:00 Manila: warned Tue 22 Dec 21:00, acknowledged in time.
    answered = stored(RequestType.INQUIRY, utc(2026, 12, 21, 1), RequestStatus.RECEIVED, unique_email())
    # A verified access request received 1 Dec: 75% of 30 days on 23 Dec 17:30, due 31 Dec 05:30.
    access = stored(
        RequestType.ACCESS,
        utc(2026, 12, 1, 5, 30),
        RequestStatus.VERIFIED,
        unique_email(),
        verified_at=utc(2026, 12, 1, 6),
        acknowledged_at=utc(2026, 12, 1, 6),
        verification_method="email_link",
    )
    # A deletion never verified, received 16 Dec 03:15: reminded after 7 days, expired after 14.
    pending = stored(RequestType.DELETE, utc(2026, 12, 16, 3, 15), RequestStatus.PENDING_VERIFICATION, requester)
    mine = {christmas.request_id: "christmas", answered.request_id: "answered", access.request_id: "access"}
    mine[pending.request_id] = "pending"
    bus = capture_bus(stack, ["Deadline.Breached", "Request.Expired"])

    fired: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    moment, last = utc(2026, 12, 21, 0), utc(2026, 12, 31, 7)
    summary: dict[str, Any] = {}
    while moment <= last:
        if moment == utc(2026, 12, 22, 20):  # the DPO acknowledges the Monday inquiry (04:00 Manila)
            admin_actions.acknowledge(answered.request_id, actor="dpo", now=moment, services=fresh_services())
        summary = run_at(stack, moment)
        for kind, request_ids in summary["sent"].items():
            for request_id in request_ids:
                if request_id in mine:
                    fired[(mine[request_id], kind)].append(moment)
        moment += HOUR

    assert dict(fired) == {
        ("answered", "acknowledge_warning"): [utc(2026, 12, 22, 13)],
        ("pending", "verification_reminder"): [utc(2026, 12, 23, 4)],
        ("access", "respond_warning"): [utc(2026, 12, 23, 18)],
        ("christmas", "acknowledge_warning"): [utc(2026, 12, 28, 14)],
        ("christmas", "acknowledge_breach"): [utc(2026, 12, 29, 2)],
        ("pending", "expiry"): [utc(2026, 12, 30, 4)],
        ("access", "respond_breach"): [utc(2026, 12, 31, 6)],
    }

    # What the DPO received: one email per warning and per breach, nothing for the rest.
    assert notices_for(stack, DPO, christmas.request_id) == [
        f"[deadline-warning] {christmas.request_id}: acknowledge due 29 December 2026, 10:00 (Manila time)",
        f"[deadline-breach] {christmas.request_id}: acknowledge was due 29 December 2026, 10:00 (Manila time)",
    ]
    assert len(notices_for(stack, DPO, answered.request_id)) == 1
    assert [s.split("]")[0] for s in notices_for(stack, DPO, access.request_id)] == [
        "[deadline-warning",
        "[deadline-breach",
    ]
    # What the requester who never verified received (the request was stored directly, so no
    # first link): the reminder with a fresh link, then the expiry notice.
    assert [m["subject"] for m in stack.outbox(to=requester)] == [
        "Please confirm your privacy request",
        "Your privacy request has expired",
    ]
    # The bus carried one breach per clock and one expiry; no personal data rides on it.
    events = [e for e in drain(stack, bus) if e["detail"]["request_id"] in mine]
    assert sorted((e["detail-type"], mine[e["detail"]["request_id"]], e["detail"].get("clock")) for e in events) == [
        ("Deadline.Breached", "access", "respond"),
        ("Deadline.Breached", "christmas", "acknowledge"),
        ("Request.Expired", "pending", None),
    ]
    assert requester not in json.dumps(events)

    repo = RequestRepository()
    assert repo.require(christmas.request_id).overdue is True
    assert repo.require(access.request_id).overdue is True
    assert repo.require(answered.request_id).overdue is False
    assert repo.require(pending.request_id).status == RequestStatus.EXPIRED
    # Every overdue request is counted on every run: the metric the overdue alarm watches.
    assert summary["overdue"] >= 2
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    overdue_metric = emitted[-1]["OverdueRequests"]
    assert (overdue_metric if isinstance(overdue_metric, list) else [overdue_metric]) == [summary["overdue"]]
    assert emitted[-1]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "PrivacyDesk"
    assert emitted[-1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]  # as the alarm expects
    assert emitted[-1]["service"] == "privacydesk"


def test_a_warning_that_could_not_be_sent_at_first_is_retried_by_the_outbox_not_by_the_next_run(
    stack: Harness, monkeypatch
):
    # Monday 1 March 2027, 09:00 Manila: 36 business hours (75%) at Tuesday 21:00 Manila (13:00 UTC).
    # The warning is committed with the check (issue 16): SES failing once delays it, the run
    # itself succeeds, and the next run has nothing to send.
    inquiry = stored(RequestType.INQUIRY, utc(2027, 3, 1, 1), RequestStatus.RECEIVED, unique_email())
    real_send = SesMailer.send
    failures = {"left": 1}

    def flaky_send(self: SesMailer, message: OutgoingEmail) -> str:
        if message.headers.get("X-PrivacyDesk-Request") == inquiry.request_id and failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("SES is unreachable")
        return real_send(self, message)

    monkeypatch.setattr(SesMailer, "send", flaky_send)
    summary = run_at(stack, utc(2027, 3, 2, 13))
    assert inquiry.request_id in summary["sent"]["acknowledge_warning"]
    assert failures["left"] == 0  # the outbox's first attempt was refused
    assert notices_for(stack, DPO, inquiry.request_id) == []
    stack.deliver_outbox()  # the stream's retry
    assert inquiry.request_id not in run_at(stack, utc(2027, 3, 2, 14))["sent"].get("acknowledge_warning", [])
    assert len(notices_for(stack, DPO, inquiry.request_id)) == 1
    actions = [e.action for e in RequestRepository().audit_trail(inquiry.request_id)]
    assert actions == ["received", "deadline_check"]


def test_with_every_parameter_at_its_default_the_reminder_link_is_absolute(stack: Harness):
    # PublicBaseUrl is empty by default: the link is built on the HTTP API's own URL, which the
    # template hands the monitor (API_BASE_URL) and the stand-in maps to where it serves the API.
    assert stack.stack.parameters["PublicBaseUrl"] == ""
    requester = unique_email("remind")
    pending = stored(RequestType.DELETE, utc(2027, 3, 1, 3, 15), RequestStatus.PENDING_VERIFICATION, requester)

    run_at(stack, utc(2027, 3, 8, 4))

    (reminder,) = stack.outbox(to=requester)
    links = re.findall(r"\S+/privacy/verify\?\S+", reminder["text"])
    assert links, reminder["text"]
    for link in links:
        parts = urlsplit(link)
        assert f"{parts.scheme}://{parts.netloc}" == stack.stack.api_url
        assert parse_qs(parts.query)["request"] == [pending.request_id]
