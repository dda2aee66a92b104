"""Shared fixtures. Integration tests get one provisioned stack per session under mock_aws."""

from __future__ import annotations

import ipaddress
import itertools
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support import iam_calls
from tests.support.harness import (
    HARNESS_API_URL,
    Harness,
    fake_aws_environment,
    share_botocore_data_loader,
    use_client_address,
)
from tests.support.standin import running

__all__ = ["running", "stack"]

fake_aws_environment()
share_botocore_data_loader()

# 100.64.0.0/10 (RFC 6598, shared address space): an address per test, outside the range tests
# pick their own sources from (198.18.0.0/15).
_CLIENT_ADDRESSES = (str(ipaddress.IPv4Address("100.64.0.1") + n) for n in itertools.count())


@pytest.fixture(autouse=True)
def _a_client_address_per_test() -> None:
    """Each test calls the in-process API from an address of its own, as separate people would, so the
    per-source limits (SECURITY.md 4b) count what that test does, not what earlier tests did."""
    use_client_address(next(_CLIENT_ADDRESSES))


@pytest.fixture(scope="session")
def stack() -> Iterator[Harness]:
    """The whole template.yaml provisioned in moto (in-process), seeded with the demo data."""
    from moto import mock_aws

    from local.invoker import InProcessRunner
    from local.provision import provision
    from local.seed import seed_all
    from tests.support import moto_transactions

    moto_transactions.install()  # a transaction's cost no longer grows with what earlier tests wrote
    with mock_aws():
        local_stack = provision()
        local_stack.api_url = HARNESS_API_URL  # the HTTP API's own URL, as the stand-in maps it
        runner = InProcessRunner(local_stack)
        runner.activate()
        seed_all(now=datetime.now(UTC))
        yield Harness(local_stack, runner)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The unexercised-grant check reads the calls every other test made as a function: it runs last."""
    items.sort(key=lambda item: item.nodeid.startswith(IAM_CHECK_FILE))


# `make test` runs pytest on workers (pytest-xdist, `--dist loadgroup`), each file a unit of work that
# one worker takes whole, except the shared stand-in (`running`): those tests were written against one
# stand-in's state (rate limits, cooldowns, outbox) and its log audit runs after them, so they are one
# unit. The in-process moto files (`stack`: one provisioned stack per worker process) go to any worker.
# The unexercised-grant check must see the calls of EVERY in-process test: it is handed out last, and
# it reads the calls file each other worker writes at its end (local/iam_guard.py), waiting for them.
# The controller schedules by test id alone (it collects nothing), so the units are decided from the
# path; tests/unit/test_worker_groups.py checks them. (xdist's own `xdist_group` marks are inert with
# pytest 9: they rename a node id pytest no longer reads.)
IN_PROCESS_SUITES = ("tests/integration/", "tests/faults/")
STAND_IN_SUITES = ("tests/e2e/", "tests/security/", "tests/browser/")
STAND_IN_FILES = ("tests/faults/test_dead_letters_stand_in.py",)  # a fault test on the shared stand-in
IAM_CHECK_FILE = "tests/integration/test_iam_unexercised_grants.py"
IAM_CALLS_DIR_KEY = "privacydesk_iam_calls_dir"  # in each worker's `workerinput`: this run's calls files
# Seconds the longest units took (2026-12-01, pytest on two workers, load about 5): handed out first
# so that no worker is left running a long unit alone at the end. Any other unit: a second a test.
UNIT_SECONDS = {
    "tests/sam/test_sam_local_invoke.py": 450,
    "tests/integration/test_processor_notices.py": 170,
    "tests/faults/test_outbox_faults.py": 150,
    "tests/integration/test_deadline_monitor.py": 110,
    "tests/faults/test_batch_faults.py": 100,
    "tests/integration/test_connectors.py": 70,
    "tests/integration/test_layer_build.py": 60,
    "tests/integration/test_fulfilment.py": 60,
    "tests/integration/test_unlinkable.py": 50,
    "tests/integration/test_policy_notices.py": 50,
}


def worker_group(nodeid: str) -> str:
    """The unit of work a worker takes whole: the shared stand-in group, or else the test's file."""
    path = nodeid.split("::", 1)[0]
    if path.startswith(STAND_IN_SUITES) or path in STAND_IN_FILES:
        return "stand_in"
    return path


def runs_in_process(unit: str) -> bool:
    """A unit on the in-process moto stack (whose calls the unexercised-grant check must see)."""
    return unit.startswith(IN_PROCESS_SUITES)


def next_unit(workqueue: dict[str, dict[str, bool]]) -> str:
    """The unit to hand out next: the longest first (the stand-in group, then by `UNIT_SECONDS` or
    test count); the grant check only when nothing else is left."""
    return max(
        workqueue,
        key=lambda unit: (unit != IAM_CHECK_FILE, unit == "stand_in", UNIT_SECONDS.get(unit, len(workqueue[unit]))),
    )


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` with the units of `worker_group`, each sent whole to one worker."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedStateScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            self.workqueue.move_to_end(next_unit(self.workqueue), last=False)  # the base hands out the first
            super()._assign_work_unit(node)

    return SharedStateScheduling(config, log)


_CALLS_DIR = pytest.StashKey[Path]()
_IN_PROCESS_FILES_RUN = pytest.StashKey[set[str]]()


def _calls_dir(config: pytest.Config) -> Path:
    """The controller's directory for this run's calls files (made on first use, removed at the end)."""
    if _CALLS_DIR not in config.stash:
        config.stash[_CALLS_DIR] = Path(tempfile.mkdtemp(prefix="privacydesk-iam-calls-"))
    return config.stash[_CALLS_DIR]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Each worker is told where to write its calls file (xdist hands `workerinput` to the worker)."""
    node.workerinput[IAM_CALLS_DIR_KEY] = str(_calls_dir(node.config))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object | None) -> None:
    """A worker that died writes no calls file: say so, so that the grant check fails at once."""
    if error is not None and _CALLS_DIR in node.config.stash:
        (_calls_dir(node.config) / f"{node.gateway.id}{iam_calls.DOWN_SUFFIX}").write_text(str(error), encoding="utf-8")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CALLS_DIR in config.stash:
        shutil.rmtree(config.stash[_CALLS_DIR], ignore_errors=True)


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Note the in-process files this process ran: the grant check judges only a run of all of them."""
    path = item.nodeid.split("::", 1)[0]
    if runs_in_process(worker_group(path)):
        item.config.stash.setdefault(_IN_PROCESS_FILES_RUN, set()).add(path)


def in_process_files_run(config: pytest.Config) -> set[str]:
    """The in-process test files this process ran tests of (so far)."""
    return set(config.stash.get(_IN_PROCESS_FILES_RUN, set()))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker's last act: the calls its handlers made, for the grant check on another worker."""
    workerinput: dict[str, Any] | None = getattr(session.config, "workerinput", None)
    if workerinput is None or IAM_CALLS_DIR_KEY not in workerinput:
        return
    calls_file = Path(workerinput[IAM_CALLS_DIR_KEY]) / f"{workerinput['workerid']}.json"
    iam_calls.write(calls_file, sorted(in_process_files_run(session.config)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Every integration and e2e test also proves its logs hold no personal data.

    The handlers' Powertools log lines go to stdout, which pytest captures per test; a test whose
    captured output names a demo person, or carries any email address or phone number, fails.
    """
    report: pytest.TestReport = yield
    if report.when != "call" or not report.passed:
        return report
    if item.get_closest_marker("integration") is None and item.get_closest_marker("e2e") is None:
        return report
    from tests.support.pii import find_personal_data

    captured = "\n".join(content for title, content in report.sections if title.startswith("Captured"))
    findings = find_personal_data(captured)
    if findings:
        report.outcome = "failed"
        report.longrepr = "personal data in this test's logs:\n" + "\n".join(str(f) for f in findings[:20])
    return report
