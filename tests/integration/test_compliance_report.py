"""The compliance report through the real admin API, checked against a known dataset: June 2025
(Manila), with Independence Day (12 June) inside an acknowledgement window."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from privacydesk.requests.domain.model import Channel, Extension, RequestStatus, RequestType
from tests.support.flows import admin, unique_email
from tests.support.harness import Harness
from tests.support.stored_requests import stored

pytestmark = pytest.mark.integration

MANILA = ZoneInfo("Asia/Manila")
IDENTITY = "Identity could not be confirmed"
ARCHIVE = "Records are in archived systems"


def manila(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=MANILA)


def verified(at: datetime) -> dict[str, Any]:
    return {"verified_at": at, "acknowledged_at": at, "verification_method": "email_link"}


@pytest.fixture(scope="module")
def june(stack: Harness) -> dict[str, str]:
    """Nine requests received in June 2025 (Manila) and two just outside it."""
    s, t, e = RequestStatus, RequestType, unique_email
    a = stored(t.ACCESS, manila(6, 2), s.COMPLETED, e(), closed_at=manila(6, 12), **verified(manila(6, 2, 11)))
    b = stored(
        t.DELETE,
        manila(6, 3, 9),
        s.DENIED,
        e(),
        channel=Channel.EMAIL,
        closed_at=manila(6, 20, 9),
        denial_reason=IDENTITY,
        **verified(manila(6, 5, 9)),
    )
    c_received = manila(6, 9)
    c_due = c_received + timedelta(days=30)
    c = stored(
        t.UPDATE,
        c_received,
        s.COMPLETED,
        e(),
        closed_at=manila(7, 20),
        respond_by=c_due + timedelta(days=30),
        extensions=[
            Extension(
                at=manila(6, 30),
                reason=ARCHIVE,
                previous_respond_by=c_due,
                respond_by=c_due + timedelta(days=30),
                by="dpo",
            )
        ],
        **verified(c_received),
    )
    # Acknowledgement due Friday 13 June 10:00 (12 June is a holiday): acknowledged at 09:00, on time.
    d = stored(t.INQUIRY, manila(6, 10), s.ANSWERED, e(), acknowledged_at=manila(6, 13, 9), closed_at=manila(6, 16))
    # Due Wednesday 18 June 10:00, acknowledged the 19th; answered after its 30 days: late twice.
    e_ = stored(
        t.INQUIRY,
        manila(6, 16),
        s.ANSWERED,
        e(),
        channel=Channel.EMAIL,
        acknowledged_at=manila(6, 19),
        closed_at=manila(7, 20),
    )
    f = stored(t.OBJECT, manila(6, 17), s.EXPIRED, e(), closed_at=manila(7, 1))
    g = stored(
        t.ACCESS,
        manila(6, 23),
        s.DENIED,
        e(),
        closed_at=manila(6, 25),
        denial_reason=IDENTITY,
        **verified(manila(6, 23)),
    )
    h = stored(t.DELETE, manila(6, 24), s.IN_PROGRESS, e(), **verified(manila(6, 24)))  # open, past due
    i = stored(t.ACCESS, manila(6, 25), s.CANCELLED, e(), closed_at=manila(6, 26))  # never verified
    stored(t.ACCESS, manila(5, 31, 23), s.PENDING_VERIFICATION, e())  # before the period
    stored(t.ACCESS, manila(7, 1, 0) + timedelta(minutes=30), s.PENDING_VERIFICATION, e())  # after it
    return {name: r.request_id for name, r in zip("abcdefghi", [a, b, c, d, e_, f, g, h, i], strict=True)}


def test_the_report_counts_a_known_month(stack: Harness, june: dict[str, str]):
    reply = admin(stack, "GET", "/v1/admin/reports/requests", query="from=2025-06-01&to=2025-07-01")
    assert reply.status == 200, reply.body
    report = reply.json()
    assert report["received"] == 9
    assert report["by_type"] == {"access": 3, "delete": 2, "inquiry": 2, "object": 1, "update": 1}
    assert report["by_channel"] == {"api": 7, "email": 2}
    assert report["by_outcome"] == {
        "answered": 2,
        "cancelled": 1,
        "completed": 2,
        "denied": 2,
        "expired": 1,
        "open": 1,
    }
    assert report["acknowledged_on_time"] == {"on_time": 6, "late": 1, "pending": 0, "rate": 0.8571}
    assert report["answered_on_time"] == {"on_time": 5, "late": 2, "pending": 0, "rate": 0.7143}
    # closed with a response after 10, 17, 41, 6, 34 and 2 days
    assert report["days_to_close"] == {"count": 6, "median": 13.5, "p90": 37.5}
    assert report["extensions"]["count"] == 1
    assert [(x["request_id"], x["days"], x["reason"]) for x in report["extensions"]["items"]] == [
        (june["c"], 30, ARCHIVE)
    ]
    assert report["denials"]["by_reason"] == {IDENTITY: 2}
    assert sorted(x["request_id"] for x in report["denials"]["items"]) == sorted([june["b"], june["g"]])
    assert [(w["week_start"], w["received"], w["on_time_rate"]) for w in report["weekly"]] == [
        ("2025-05-26", 0, None),
        ("2025-06-02", 2, 1.0),
        ("2025-06-09", 2, 1.0),
        ("2025-06-16", 2, 0.0),
        ("2025-06-23", 3, 0.5),
        ("2025-06-30", 0, None),
    ]


def test_the_report_as_csv_by_parameter_or_accept_header(stack: Harness, june: dict[str, str]):
    by_param = admin(stack, "GET", "/v1/admin/reports/requests", query="from=2025-06-01&to=2025-07-01&format=csv")
    by_header = stack.http(
        "GET",
        "/v1/admin/reports/requests",
        query="from=2025-06-01&to=2025-07-01",
        headers={"Accept": "text/csv"},
        identity={"accessKey": "testing", "userArn": "arn:aws:iam::123456789012:user/dpo", "userId": "dpo"},
    )
    for reply in (by_param, by_header):
        assert reply.status == 200, reply.body
        assert reply.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(reply.body)))
        assert rows[0] == ["section", "key", "value", "detail"]
        assert ["totals", "received", "9", ""] in rows
        assert ["answered_on_time", "rate", "0.7143", ""] in rows
        assert ["days_to_close", "p90", "37.5", ""] in rows
        assert ["extension", june["c"], "30", ARCHIVE] in rows
        assert ["denials_by_reason", IDENTITY, "2", ""] in rows


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2025-07-01&to=2025-06-01", "invalid_period"),
        ("from=June&to=2025-07-01", "invalid_request"),
        ("from=2025-06-01x&to=2025-07-01", "invalid_period"),
        ("from=2020-01-01&to=2025-07-01", "period_too_long"),
        ("to=2025-07-01", "invalid_request"),
        ("from=2025-06-01&to=2025-07-01&format=xml", "invalid_request"),
    ],
)
def test_a_bad_period_is_a_400_with_a_code(stack: Harness, query: str, code: str):
    reply = admin(stack, "GET", "/v1/admin/reports/requests", query=query)
    assert reply.status in (400, 422), reply.body
    assert reply.json()["error"]["code"] == code


def test_the_report_needs_a_signed_caller(stack: Harness):
    assert stack.http("GET", "/v1/admin/reports/requests", query="from=2025-06-01&to=2025-07-01").status == 403
