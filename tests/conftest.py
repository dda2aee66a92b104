"""Shared fixtures. Integration tests get one provisioned stack per session under mock_aws."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.support.harness import Harness, fake_aws_environment
from tests.support.standin import running

__all__ = ["running", "stack"]

fake_aws_environment()


@pytest.fixture(scope="session")
def stack() -> Iterator[Harness]:
    """The whole template.yaml provisioned in moto (in-process), seeded with the demo data."""
    from moto import mock_aws

    from local.invoker import FunctionRunner
    from local.provision import provision
    from local.seed import seed_all

    with mock_aws():
        local_stack = provision()
        runner = FunctionRunner(local_stack, extra_env={"PUBLIC_BASE_URL": "http://127.0.0.1:3000"})
        runner.activate()
        seed_all(now=datetime.now(UTC))
        yield Harness(local_stack, runner)
