"""Each security test submits from a loopback address of its own (all of 127.0.0.0/8 reaches the
stand-in), as separate people would: the per-source limits of SECURITY.md 4b then count what that
test does, not what earlier tests on the same stand-in did. Tests of those limits name their sources."""

from __future__ import annotations

import pytest

from tests.security.attacker import fresh_loopback, submit_from


@pytest.fixture(autouse=True)
def _a_client_address_per_test() -> None:
    submit_from(fresh_loopback())
