"""`make test` runs pytest on workers; tests that share state must land in one (tests/conftest.py),
and the unexercised-grant check must read every worker's calls (tests/support/iam_calls.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from local.iam_actions import Need
from local.iam_guard import SeenCall
from local.provision import LocalStack
from tests.conftest import IAM_CHECK_FILE, next_unit, runs_in_process, worker_group
from tests.support import iam_calls

pytestmark = pytest.mark.unit

IAM_CHECK = f"{IAM_CHECK_FILE}::test_every_granted_statement_is_exercised_or_justified"


def _misplaced(items: list[pytest.Item], fixture: str, belongs: object) -> list[str]:
    return [item.nodeid for item in items if fixture in item.fixturenames and not belongs(worker_group(item.nodeid))]


def test_every_test_on_the_in_process_stack_is_in_a_unit_whose_calls_the_grant_check_reads(
    request: pytest.FixtureRequest,
):
    assert runs_in_process(worker_group(IAM_CHECK))
    assert _misplaced(request.session.items, "stack", runs_in_process) == []


def test_every_test_on_the_shared_stand_in_runs_in_one_process(request: pytest.FixtureRequest):
    assert _misplaced(request.session.items, "running", lambda unit: unit == "stand_in") == []


def test_each_in_process_file_is_a_unit_of_its_own_so_both_workers_can_take_them():
    first = worker_group("tests/faults/test_batch_faults.py::test_a")
    assert first == worker_group("tests/faults/test_batch_faults.py::test_b")
    assert first != worker_group("tests/integration/test_retention.py::test_a")


def test_a_file_of_neither_kind_is_one_unit_of_work():
    assert worker_group("tests/unit/test_tokens.py::test_a") == worker_group("tests/unit/test_tokens.py::test_b")
    assert worker_group("tests/unit/test_tokens.py::test_a") != worker_group("tests/unit/test_scope.py::test_a")


def _queue(*units: tuple[str, int]) -> dict[str, dict[str, bool]]:
    return {unit: {f"{unit}::test_{n}": False for n in range(tests)} for unit, tests in units}


def test_the_grant_check_is_handed_out_only_when_no_other_unit_is_left():
    queue = _queue((IAM_CHECK_FILE, 1), ("tests/unit/test_tokens.py", 1))
    assert next_unit(queue) == "tests/unit/test_tokens.py"
    assert next_unit(_queue((IAM_CHECK_FILE, 1))) == IAM_CHECK_FILE


def test_the_stand_in_group_is_handed_out_first_then_the_longest_units():
    queue = _queue(
        ("tests/unit/test_tokens.py", 40),
        ("stand_in", 5),
        ("tests/integration/test_deadline_monitor.py", 3),  # three tests, two minutes
        ("tests/unit/test_scope.py", 2),
        (IAM_CHECK_FILE, 1),
    )
    order = []
    while queue:
        order.append(next_unit(queue))
        del queue[order[-1]]
    assert order == [
        "stand_in",
        "tests/integration/test_deadline_monitor.py",
        "tests/unit/test_tokens.py",
        "tests/unit/test_scope.py",
        IAM_CHECK_FILE,
    ]


# ------------------------------------------------------------------- the calls of every worker
CALL = SeenCall("PublicApiFunction", "dynamodb", "GetItem", (Need("dynamodb:GetItem", "arn:t"),), True)


def test_the_check_sums_the_calls_every_other_worker_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from local import iam_guard

    monkeypatch.setattr(iam_guard, "_seen", iam_guard.Counter({CALL: 2}))
    iam_calls.write(tmp_path / "gw1.json", ["tests/integration/test_retention.py"])
    iam_calls.write(tmp_path / "gw2.json", ["tests/faults/test_batch_faults.py"])

    calls, files = iam_calls.gather(tmp_path, ["gw1", "gw2"], wait_seconds=1)
    assert calls == {CALL: 4}
    assert files == {"tests/integration/test_retention.py", "tests/faults/test_batch_faults.py"}


def test_the_check_fails_at_once_when_a_worker_died_before_writing_its_calls(tmp_path: Path):
    (tmp_path / f"gw1{iam_calls.DOWN_SUFFIX}").write_text("worker crashed", encoding="utf-8")
    with pytest.raises(iam_calls.MissingCalls, match="gw1 went down"):
        iam_calls.gather(tmp_path, ["gw1"], wait_seconds=600)


def test_the_check_fails_when_a_worker_never_writes_its_calls(tmp_path: Path):
    (tmp_path / "gw0.json").write_text(json.dumps({"files": [], "calls": []}), encoding="utf-8")
    with pytest.raises(iam_calls.MissingCalls, match="gw1 wrote no calls file"):
        iam_calls.gather(tmp_path, ["gw0", "gw1"], wait_seconds=0.2, poll_seconds=0.05)


def test_the_other_workers_are_every_worker_of_the_run_but_this_one():
    assert iam_calls.other_workers({"workerid": "gw1", "workercount": 3}) == ["gw0", "gw2"]


PLACE = "ap-southeast-1:123456789012"


def _stack_named(suffix: str) -> SimpleNamespace:
    table = f"privacydesk-local-RequestsTable-{suffix}"
    return SimpleNamespace(
        stack=LocalStack(
            region="ap-southeast-1",
            account="123456789012",
            endpoint_url=None,
            physical={
                "RequestsTable": table,
                "FulfilmentQueue": f"https://sqs.ap-southeast-1.amazonaws.com/123456789012/fulfilment-{suffix}",
            },
            attributes={"RequestsTable": {"StreamArn": f"arn:aws:dynamodb:::table/{table}/stream/label-{suffix}"}},
        )
    )


def test_calls_on_another_workers_stack_are_read_with_the_names_of_this_workers_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from local import iam_guard

    def call(stack: SimpleNamespace) -> SeenCall:
        physical, attributes = stack.stack.physical, stack.stack.attributes
        needs = (
            Need(
                "dynamodb:Query",
                f"arn:aws:dynamodb:ap-southeast-1:123456789012:table/{physical['RequestsTable']}/index/x",
            ),
            Need(
                "sqs:SendMessage",
                f"arn:aws:sqs:ap-southeast-1:123456789012:{physical['FulfilmentQueue'].split('/')[-1]}",
            ),
            Need("dynamodb:GetRecords", attributes["RequestsTable"]["StreamArn"]),
        )
        return SeenCall("FulfilmentFunction", "dynamodb", "Query", needs, True)

    theirs, mine = _stack_named("THEIRS000001"), _stack_named("MINE00000001")
    monkeypatch.setattr(iam_guard, "_guard", theirs)
    monkeypatch.setattr(iam_guard, "_seen", iam_guard.Counter({call(theirs): 1}))
    iam_calls.write(tmp_path / "gw1.json", [])

    monkeypatch.setattr(iam_guard, "_guard", mine)
    calls, _ = iam_calls.gather(tmp_path, ["gw1"], wait_seconds=1)
    assert calls == {call(mine): 1}
