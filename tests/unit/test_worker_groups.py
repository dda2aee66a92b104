"""`make test` runs pytest on workers; tests that share state must land in one (tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.conftest import worker_group

pytestmark = pytest.mark.unit

IAM_CHECK = "tests/integration/test_iam_unexercised_grants.py::test_every_granted_statement_is_exercised_or_justified"


def _misplaced(items: list[pytest.Item], fixture: str, group: str) -> list[str]:
    return [item.nodeid for item in items if fixture in item.fixturenames and worker_group(item.nodeid) != group]


def test_every_test_on_the_in_process_stack_runs_in_the_process_the_grant_check_reads(request: pytest.FixtureRequest):
    assert worker_group(IAM_CHECK) == "in_process"
    assert _misplaced(request.session.items, "stack", "in_process") == []


def test_every_test_on_the_shared_stand_in_runs_in_one_process(request: pytest.FixtureRequest):
    assert _misplaced(request.session.items, "running", "stand_in") == []


def test_a_file_of_neither_kind_is_one_unit_of_work():
    assert worker_group("tests/unit/test_tokens.py::test_a") == worker_group("tests/unit/test_tokens.py::test_b")
    assert worker_group("tests/unit/test_tokens.py::test_a") != worker_group("tests/unit/test_scope.py::test_a")
