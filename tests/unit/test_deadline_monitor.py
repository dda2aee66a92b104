"""What the deadline monitor owes a request at a given moment (pure, frozen time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from privacydesk.requests.domain.deadline_monitor import (
    MonitorRules,
    NothingDue,
    Notice,
    NoticeKind,
    assess,
    checked,
    next_check_at,
    released,
    schedule,
    scheduled_time,
)
from privacydesk.requests.domain.deadlines import clocks_for
from privacydesk.requests.domain.model import Channel, Extension, PrivacyRequest, RequestStatus, RequestType, Subject

pytestmark = pytest.mark.unit

MANILA = ZoneInfo("Asia/Manila")
RULES = MonitorRules(unverified_expiry_days=14)


def request_at(received: datetime, *, kind: RequestType = RequestType.INQUIRY, **changes: object) -> PrivacyRequest:
    clocks = clocks_for(received)
    status = RequestStatus.RECEIVED if kind == RequestType.INQUIRY else RequestStatus.PENDING_VERIFICATION
    base = PrivacyRequest(
        request_id="req_test",
        type=kind,
        status=status,
        channel=Channel.API,
        subject=Subject(email="someone@example.org"),
        received_at=received,
        acknowledge_by=clocks.acknowledge_by,
        respond_by=clocks.respond_by,
        policy_version="2025-11-30",
        datamap_version="1",
    )
    return base.model_copy(update=changes)


def kinds(notices: list[Notice]) -> list[str]:
    return [n.kind.value for n in notices]


# Wednesday 23 December 2026, 10:00 in Manila. 24 Dec (Christmas Eve) and 25 Dec are
# Philippine holidays, 26-27 a weekend: 14 business hours on the 23rd, then Monday the 28th.
CHRISTMAS_INQUIRY = datetime(2026, 12, 23, 10, 0, tzinfo=MANILA)


def test_the_acknowledgement_warning_and_breach_skip_the_christmas_holidays():
    notices = {n.kind: n.at for n in schedule(request_at(CHRISTMAS_INQUIRY), RULES)}
    assert notices[NoticeKind.ACKNOWLEDGE_WARNING] == datetime(2026, 12, 28, 22, 0, tzinfo=MANILA)  # 36 of 48 h
    assert notices[NoticeKind.ACKNOWLEDGE_BREACH] == datetime(2026, 12, 29, 10, 0, tzinfo=MANILA)
    assert notices[NoticeKind.RESPOND_WARNING] == CHRISTMAS_INQUIRY + timedelta(days=22.5)
    assert notices[NoticeKind.RESPOND_BREACH] == CHRISTMAS_INQUIRY + timedelta(days=30)


def test_the_warning_is_due_at_its_moment_and_not_a_second_before():
    request = request_at(CHRISTMAS_INQUIRY)
    warning = datetime(2026, 12, 28, 22, 0, tzinfo=MANILA)
    assert assess(request, warning - timedelta(seconds=1), RULES).send == []
    assert kinds(assess(request, warning, RULES).send) == ["acknowledge_warning"]


def test_a_recorded_notice_is_never_due_again():
    request = request_at(CHRISTMAS_INQUIRY)
    moment = datetime(2026, 12, 28, 23, 0, tzinfo=MANILA)
    first = assess(request, moment, RULES)
    after = checked(request, moment, RULES, first.keys)
    assert after.notices_sent == ["acknowledge_warning@2026-12-29T02:00:00Z"]
    assert assess(after, moment + timedelta(minutes=30), RULES).send == []
    with pytest.raises(NothingDue):
        checked(after, moment, RULES, first.keys)


def test_a_missed_warning_gives_way_to_its_breach():
    request = request_at(CHRISTMAS_INQUIRY)
    late = datetime(2026, 12, 29, 12, 0, tzinfo=MANILA)
    assessment = assess(request, late, RULES)
    assert kinds(assessment.send) == ["acknowledge_breach"]
    assert kinds(assessment.skip) == ["acknowledge_warning"]
    after = checked(request, late, RULES, assessment.keys)
    assert after.overdue is True
    assert sorted(after.notices_sent) == [
        "acknowledge_breach@2026-12-29T02:00:00Z",
        "acknowledge_warning@2026-12-29T02:00:00Z",
    ]


def test_an_acknowledged_inquiry_has_only_the_response_clock():
    request = request_at(CHRISTMAS_INQUIRY, acknowledged_at=CHRISTMAS_INQUIRY + timedelta(hours=1))
    assert kinds(schedule(request, RULES)) == ["respond_warning", "respond_breach"]


def test_acknowledging_late_clears_the_overdue_mark():
    late = datetime(2026, 12, 29, 12, 0, tzinfo=MANILA)
    request = request_at(CHRISTMAS_INQUIRY)
    breached = checked(request, late, RULES, assess(request, late, RULES).keys)
    acknowledged = breached.model_copy(update={"acknowledged_at": late, "status": RequestStatus.ACKNOWLEDGED})
    assessment = assess(acknowledged, late + timedelta(hours=1), RULES)
    assert assessment.send == []
    assert assessment.overdue is False
    assert checked(acknowledged, late, RULES, assessment.keys).overdue is False


def test_an_extension_brings_its_own_warning_and_breach():
    received = datetime(2026, 12, 1, 13, 30, tzinfo=MANILA)
    request = request_at(received, kind=RequestType.ACCESS, status=RequestStatus.VERIFIED, acknowledged_at=received)
    warned_at = received + timedelta(days=23)
    request = checked(request, warned_at, RULES, assess(request, warned_at, RULES).keys)
    new_due = request.respond_by + timedelta(days=30)
    extended = request.model_copy(
        update={
            "respond_by": new_due,
            "extensions": [
                Extension(
                    at=warned_at,
                    reason="many stores",
                    previous_respond_by=request.respond_by,
                    respond_by=new_due,
                    by="dpo",
                )
            ],
        }
    )
    assert assess(extended, request.respond_by + timedelta(hours=1), RULES).send == []  # old due date: no breach
    new_warning = received + (new_due - received) * 0.75
    assert kinds(assess(extended, new_warning, RULES).send) == ["respond_warning"]
    assert kinds(assess(extended, new_due, RULES).send) == ["respond_breach"]


def test_a_request_awaiting_verification_waits_on_the_requester():
    received = datetime(2026, 12, 16, 3, 15, tzinfo=UTC)
    request = request_at(received, kind=RequestType.DELETE)
    notices = schedule(request, RULES)
    assert kinds(notices) == ["verification_reminder", "expiry"]
    assert [n.at for n in notices] == [received + timedelta(days=7), received + timedelta(days=14)]
    assert assess(request, received + timedelta(days=40), RULES).overdue is False


def test_expiry_closes_the_request_and_gives_way_to_nothing_else():
    received = datetime(2026, 12, 16, 3, 15, tzinfo=UTC)
    request = request_at(received, kind=RequestType.DELETE)
    moment = received + timedelta(days=15)
    assessment = assess(request, moment, RULES)
    assert kinds(assessment.send) == ["expiry"]
    assert kinds(assessment.skip) == ["verification_reminder"]
    expired = checked(request, moment, RULES, assessment.keys)
    assert expired.status == RequestStatus.EXPIRED
    assert expired.closed_at == moment
    assert schedule(expired, RULES) == []


def test_the_next_check_is_the_earliest_pending_notice_or_every_run_while_overdue():
    request = request_at(CHRISTMAS_INQUIRY)
    assert next_check_at(request, RULES) == datetime(2026, 12, 28, 22, 0, tzinfo=MANILA)
    late = datetime(2026, 12, 29, 12, 0, tzinfo=MANILA)
    breached = checked(request, late, RULES, assess(request, late, RULES).keys)
    assert next_check_at(breached, RULES) == CHRISTMAS_INQUIRY


def test_a_released_notice_is_due_again():
    moment = datetime(2026, 12, 28, 23, 0, tzinfo=MANILA)
    request = request_at(CHRISTMAS_INQUIRY)
    after = checked(request, moment, RULES, assess(request, moment, RULES).keys)
    again = released(after, after.notices_sent)
    assert kinds(assess(again, moment, RULES).send) == ["acknowledge_warning"]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"time": "2026-12-23T02:00:00Z"}, datetime(2026, 12, 23, 2, 0, tzinfo=UTC)),
        ({"time": "2026-12-23T02:00:00"}, datetime(2026, 12, 23, 2, 0, tzinfo=UTC)),
        ({"time": "<aws.scheduler.scheduled-time>"}, None),
        ({}, None),
        ("not an event", None),
    ],
)
def test_the_scheduled_time_drives_the_run(event, expected):
    assert scheduled_time(event) == expected


def test_every_notice_kind_is_counted_by_a_metric_of_the_scheduled_check():
    from privacydesk.deadlines.entry.scheduled_check import METRIC_OF

    assert set(METRIC_OF) == {kind.value for kind in NoticeKind}
