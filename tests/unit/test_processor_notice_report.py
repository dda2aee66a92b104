"""The compliance report counts processor notices (GDPR Art. 19, issue 20): per processor, how many
are pending, confirmed or overdue, in the JSON and in the CSV."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from privacydesk.reporting.domain import compliance_report
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus
from tests.unit.test_pending_steps import NOW, waiting

pytestmark = pytest.mark.unit


def completed(days_ago: int, **processors: dict[str, Any]) -> PrivacyRequest:
    """A Delete completed `days_ago` days ago that told these processors (with their state)."""
    told = {name: {"action": "erase", "confirm_within_days": 10, **state} for name, state in processors.items()}
    return waiting().model_copy(
        update={
            "status": RequestStatus.COMPLETED,
            "closed_at": NOW - timedelta(days=days_ago),
            "outcome": {"processors": told},
        }
    )


def report_of(*requests: PrivacyRequest) -> compliance_report.ComplianceReport:
    return compliance_report.build(list(requests), NOW - timedelta(days=30), NOW, NOW)


def test_each_processors_notices_are_counted_pending_confirmed_and_overdue():
    report = report_of(
        completed(2, sms_gateway={}, payment_processor={"confirmed_at": "2026-11-30T09:00:00+00:00"}),
        completed(12, sms_gateway={}, payment_processor={}),  # ten days passed, none confirmed
    )
    figures = {name: f.model_dump() for name, f in report.processor_notices.items()}
    assert figures == {
        "payment_processor": {"pending": 0, "confirmed": 1, "overdue": 1},
        "sms_gateway": {"pending": 1, "confirmed": 0, "overdue": 1},
    }


def test_a_notice_the_monitor_escalated_counts_overdue_and_a_confirmed_one_never_does():
    report = report_of(
        completed(1, analytics={"escalated_at": "2026-12-01T08:00:00+00:00"}),
        completed(40, analytics={"confirmed_at": "2026-11-01T08:00:00+00:00", "escalated_at": "2026-10-31T08:00:00"}),
    )
    assert report.processor_notices["analytics"].model_dump() == {"pending": 0, "confirmed": 1, "overdue": 1}


def test_a_request_that_told_no_processor_adds_no_row():
    assert report_of(waiting()).processor_notices == {}


def test_the_csv_has_one_row_per_processor_with_its_states():
    report = report_of(completed(2, sms_gateway={}), completed(3, sms_gateway={"confirmed_at": "2026-11-29"}))
    assert "processor_notices,sms_gateway,2,pending=1;confirmed=1;overdue=0" in compliance_report.to_csv(report)
