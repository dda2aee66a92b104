"""e2e fixtures: the shared `running` stand-in (tests/conftest.py) and one with 500 accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.standin import RunningStack, stand_in

__all__ = ["RunningStack"]


@pytest.fixture(scope="module")
def running_500_accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A second stand-in whose accounts table holds exactly 500 accounts (3 named + 497 synthetic)."""
    with stand_in(tmp_path_factory.mktemp("standin500"), "--accounts", "497") as stack:
        yield stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules that set RUNS_LAST (the log audit) run after every other test of the session."""
    items.sort(key=lambda item: bool(getattr(getattr(item, "module", None), "RUNS_LAST", False)))
