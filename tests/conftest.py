"""Shared fixtures. Integration tests get one provisioned stack per session under mock_aws."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.support.harness import HARNESS_API_URL, Harness, fake_aws_environment
from tests.support.standin import running

__all__ = ["running", "stack"]

fake_aws_environment()


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


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The unexercised-grant check reads the calls every other test made as a function: it runs last.
    Each test is given its worker group (see `worker_group`)."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/integration/test_iam_unexercised_grants.py"))
    for item in items:
        item.add_marker(pytest.mark.xdist_group(worker_group(item)))


# Suites whose tests share one running stand-in (its rate limits, cooldowns, outbox and log audit).
STAND_IN_SUITES = ("tests/e2e/", "tests/security/", "tests/browser/")


def worker_group(item: pytest.Item) -> str:
    """Which tests must share a process when `make test` runs pytest on workers (--dist loadgroup).

    - every test on the in-process moto stack (`stack`): one provisioned stack, and the
      unexercised-grant check, which runs last, must see every call those tests made in its process;
    - every test on the shared stand-in (`running`): they were written against one stand-in's state;
    - anything else, by file (its module fixtures are set up once).
    """
    if "stack" in item.fixturenames:
        return "in_process"
    if "running" in item.fixturenames or item.nodeid.startswith(STAND_IN_SUITES):
        return "stand_in"
    return item.nodeid.split("::", 1)[0]


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
