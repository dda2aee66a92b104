"""The compliance report's arithmetic and its CSV (pure)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from privacydesk.kernel.errors import InvalidInput
from privacydesk.reporting.domain import compliance_report
from privacydesk.requests.domain.model import Channel, PrivacyRequest, RequestStatus, RequestType, Subject

pytestmark = pytest.mark.unit

START = datetime(2026, 1, 5, tzinfo=UTC)


def denied(reason: str, received: datetime = START) -> PrivacyRequest:
    return PrivacyRequest(
        request_id="req_1",
        type=RequestType.DELETE,
        status=RequestStatus.DENIED,
        channel=Channel.API,
        subject=Subject(email="someone@example.org"),
        received_at=received,
        acknowledge_by=received + timedelta(days=2),
        respond_by=received + timedelta(days=30),
        verified_at=received,
        acknowledged_at=received,
        closed_at=received + timedelta(days=3),
        denial_reason=reason,
        policy_version="2025-11-30",
        datamap_version="1",
    )


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [([4.0], 4.0, 4.0), ([1.0, 2.0], 1.5, 1.9), ([2, 6, 10, 17, 34, 41], 13.5, 37.5), ([], None, None)],
)
def test_median_and_90th_percentile_interpolate_between_ranks(values, median, p90):
    requests = []
    for number, days in enumerate(values):
        request = denied("r", START + timedelta(hours=number))
        requests.append(
            request.model_copy(
                update={"request_id": f"req_{number}", "closed_at": request.received_at + timedelta(days=days)}
            )
        )
    report = compliance_report.build(requests, START, START + timedelta(days=7), START + timedelta(days=60))
    assert report.days_to_close.median == median
    assert report.days_to_close.p90 == (round(p90, 2) if p90 is not None else None)


def test_a_reason_cannot_become_a_spreadsheet_formula():
    report = compliance_report.build(
        [denied('=HYPERLINK("http://evil")')], START, START + timedelta(days=7), START + timedelta(days=60)
    )
    rows = list(csv.reader(io.StringIO(compliance_report.to_csv(report))))
    (denial,) = [row for row in rows if row[0] == "denial"]
    assert denial[3] == '\'=HYPERLINK("http://evil")'


def test_dates_are_manila_days_and_the_period_is_half_open():
    start, end = compliance_report.period("2026-01-01", "2026-02-01")
    assert start.isoformat() == "2026-01-01T00:00:00+08:00"
    assert end - start == timedelta(days=31)
    outside = denied("r", end)  # received exactly at `to`: not in the period
    assert compliance_report.build([outside], start, end, end).received == 0


@pytest.mark.parametrize(("raw_from", "raw_to"), [("2026-02-01", "2026-01-01"), ("yesterday", "2026-01-01")])
def test_a_bad_period_is_refused(raw_from, raw_to):
    with pytest.raises(InvalidInput):
        compliance_report.period(raw_from, raw_to)
