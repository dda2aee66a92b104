"""Shared fixtures. Integration tests get one provisioned stack per session under mock_aws."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.harness import HARNESS_API_URL, Harness, fake_aws_environment, share_botocore_data_loader
from tests.support.standin import running

__all__ = ["running", "stack"]

fake_aws_environment()
share_botocore_data_loader()


@pytest.fixture(scope="session")
def stack() -> Iterator[Harness]:
    """The whole template.yaml provisioned in moto (in-process), seeded with the demo data."""
    from moto import mock_aws

    from local.invoker import InProcessRunner
    from local.provision import provision
    from local.seed import seed_all

    with mock_aws():
        local_stack = provision()
        local_stack.api_url = HARNESS_API_URL  # the HTTP API's own URL, as the stand-in maps it
        runner = InProcessRunner(local_stack)
        runner.activate()
        seed_all(now=datetime.now(UTC))
        yield Harness(local_stack, runner)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The unexercised-grant check reads the calls every other test made as a function: it runs last."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/integration/test_iam_unexercised_grants.py"))


# `make test` runs pytest on workers (pytest-xdist). Tests that share state must share a process:
# - the in-process moto stack (`stack`): one provisioned stack per process, and the unexercised-grant
#   check, which runs last, must see every call those tests made in its own process;
# - the shared stand-in (`running`): those tests were written against one stand-in's state (rate
#   limits, cooldowns, outbox) and its log audit runs after them.
# The controller schedules by test id alone (it collects nothing), so the groups are decided from the
# path; tests/unit/test_worker_groups.py checks that every test on `stack` or `running` is where it
# must be. (xdist's own `xdist_group` marks are inert with pytest 9: they rename a node id pytest no
# longer reads.)
IN_PROCESS_SUITES = ("tests/integration/", "tests/faults/")
STAND_IN_SUITES = ("tests/e2e/", "tests/security/", "tests/browser/")
STAND_IN_FILES = ("tests/faults/test_dead_letters_stand_in.py",)  # a fault test on the shared stand-in


def worker_group(nodeid: str) -> str:
    """The unit of work a worker takes whole: a shared-state group, or else the test's file."""
    path = nodeid.split("::", 1)[0]
    if path.startswith(STAND_IN_SUITES) or path in STAND_IN_FILES:
        return "stand_in"
    if path.startswith(IN_PROCESS_SUITES):
        return "in_process"
    return path


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` with the groups of `worker_group`, each sent whole to one worker."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedStateScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return SharedStateScheduling(config, log)


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
