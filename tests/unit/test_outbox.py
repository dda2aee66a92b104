"""[issue 16] The outbox's delivery rules and the lifecycle's declared consequences, with fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privacydesk.kernel.events import DomainEvent, RequestVerified
from privacydesk.kernel.ports import OutgoingEmail
from privacydesk.requests.domain import lifecycle
from privacydesk.requests.domain.model import Channel, PrivacyRequest, RequestStatus, RequestType, Subject
from privacydesk.requests.domain.outbox import ClaimState, OutboxItem, OutboxPorts, deliver, email_item, numbered

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)


class Claims:
    def __init__(self) -> None:
        self.delivered: set[str] = set()
        self.claimed: set[str] = set()

    def claim(self, outbox_id: str, now: datetime) -> ClaimState:
        if outbox_id in self.delivered:
            return "delivered"
        self.claimed.add(outbox_id)
        return "claimed"

    def mark_delivered(self, outbox_id: str, now: datetime) -> None:
        self.delivered.add(outbox_id)
        self.claimed.discard(outbox_id)

    def release(self, outbox_id: str) -> None:
        self.claimed.discard(outbox_id)


class Mail:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failures = failures

    def send(self, message: OutgoingEmail) -> str:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("throttled")
        self.sent.append(message)
        return "id"


class Bus:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, *events: DomainEvent) -> None:
        self.events.extend(events)


class Sms:
    def send(self, phone_e164: str, text: str) -> str:
        return "id"


def _request(**changes: object) -> PrivacyRequest:
    request = PrivacyRequest(
        request_id="req_1",
        type=RequestType.DELETE,
        status=RequestStatus.VERIFIED,
        channel=Channel.EMAIL,
        subject=Subject(email="sender@example.org"),
        received_at=NOW,
        acknowledge_by=NOW + timedelta(days=2),
        respond_by=NOW + timedelta(days=30),
        policy_version="2025-11-30",
        datamap_version="1",
        verified_at=NOW,
        verification_method="email_link",
        trust={"registered_email": "registered@example.org"},
    )
    return request.model_copy(update=changes)


def _email() -> OutboxItem:
    message = OutgoingEmail(to="a@example.org", subject="s", text="t", headers={"X-PrivacyDesk-Request": "req_1"})
    (item,) = numbered([email_item("acknowledged", message)], "req_1#000002")
    return item


def test_a_redelivered_item_is_not_sent_again():
    mail = Mail()
    ports = OutboxPorts(claims=Claims(), events=Bus(), mailer=mail, sms=Sms())
    assert deliver(_email(), now=NOW, ports=ports) == "delivered"
    assert deliver(_email(), now=NOW, ports=ports) == "already_delivered"
    assert len(mail.sent) == 1


def test_a_refused_send_is_released_and_the_retry_sends_it_once():
    mail, claims = Mail(failures=1), Claims()
    ports = OutboxPorts(claims=claims, events=Bus(), mailer=mail, sms=Sms())
    with pytest.raises(RuntimeError):
        deliver(_email(), now=NOW, ports=ports)
    assert claims.claimed == set()  # released
    assert deliver(_email(), now=NOW, ports=ports) == "delivered"
    assert len(mail.sent) == 1


def test_verified_declares_its_event_and_the_acknowledgement_to_the_registered_address():
    items = lifecycle.consequences("verified", _request(approval_required=True), NOW)
    assert [(i.kind, i.notice) for i in items] == [("event", "Request.Verified"), ("email", "acknowledged")]
    assert items[0].payload["detail"]["approval_required"] is True
    assert items[1].payload["to"] == "registered@example.org"


def test_request_events_are_built_one_way_and_carry_no_personal_data():
    event = lifecycle.request_event(RequestVerified, _request(), NOW)
    dumped = event.model_dump_json()
    assert "example.org" not in dumped
    assert event.model_dump(exclude={"occurred_at"}) == {
        "request_id": "req_1",
        "type": "delete",
        "channel": "email",
        "status": "verified",
        "approval_required": False,
    }


def test_a_completion_verified_by_sms_is_texted_not_emailed():
    request = _request(
        status=RequestStatus.COMPLETED, subject=Subject(phone="+639171234567"), verification_method="sms_code", trust={}
    )
    items = lifecycle.consequences("completed", request, NOW, lifecycle.Note(text="done", sms="ready"))
    assert [(i.kind, i.notice) for i in items] == [("event", "Request.Completed"), ("sms", "completed_sms")]


def test_every_transition_that_changes_status_names_its_target():
    for name, transition in lifecycle.TRANSITIONS.items():
        assert transition.action == name
        assert name == "extended" or transition.target is not None
