"""The e2e tests use the `running` stand-in fixture, defined once for e2e and browser tests in tests/conftest.py."""

from __future__ import annotations

from tests.support.standin import RunningStack

__all__ = ["RunningStack"]
