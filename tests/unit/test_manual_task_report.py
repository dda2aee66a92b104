"""The compliance report counts manual tasks (issue 20): open and closed, and how old they are."""

from __future__ import annotations

from datetime import timedelta

from privacydesk.fulfilment.domain.pending_steps import StepState
from privacydesk.reporting.domain import compliance_report
from tests.unit.test_pending_steps import NOW, step, waiting


def test_open_and_closed_manual_tasks_are_counted_with_their_age():
    closed = step("helpdesk", "manual", StepState.DONE).model_copy(update={"resolved_at": NOW - timedelta(days=1)})
    requests = [
        waiting(step("helpdesk", "manual")),  # opened two days ago, still open
        waiting(closed, step("billing", "webhook")),  # a webhook step is not a manual task
    ]
    report = compliance_report.build(requests, NOW - timedelta(days=30), NOW, NOW)
    assert report.manual_tasks.model_dump() == {
        "open": 1,
        "closed": 1,
        "oldest_open_days": 2.0,
        "median_days_to_close": 1.0,
    }
    assert "manual_tasks,open,1," in compliance_report.to_csv(report)
