"""Least privilege, measured: every statement of every role is exercised by some test's calls.

Runs last (tests/conftest.py orders it), after every in-process test made its calls as its
functions' roles. It writes the whole picture to .local/iam-unused.txt (per statement: actions used,
actions never used) and fails on a statement nothing exercised unless local/iam_report.JUSTIFIED
says why. It can judge only a run that included every in-process integration and fault test file;
on a partial run it writes the report and skips, saying which files were missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from local import iam_guard, iam_report
from tests.support.harness import ROOT, Harness

pytestmark = pytest.mark.integration

REPORT = ROOT / ".local" / "iam-unused.txt"
# Files whose handlers run in a stand-in subprocess: their calls are checked there, not seen here.
OUT_OF_PROCESS = {"test_dead_letters_stand_in.py"}


def _in_process_test_files() -> set[Path]:
    found = {*ROOT.glob("tests/integration/test_*.py"), *ROOT.glob("tests/faults/test_*.py")}
    return {path for path in found if path.name not in OUT_OF_PROCESS}


def test_every_granted_statement_is_exercised_or_justified(stack: Harness, request: pytest.FixtureRequest):
    seen = iam_guard.calls_seen()
    entries = iam_report.exercise(iam_guard.statements(), seen)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(iam_report.render(entries, seen), encoding="utf-8")
    ran = {Path(str(item.path)) for item in request.session.items}
    missing = sorted(path.name for path in _in_process_test_files() - ran)
    if missing:
        pytest.skip(f"partial run ({len(missing)} test files not run, e.g. {missing[0]}); report in {REPORT}")
    idle = iam_report.unexercised(entries)
    assert not idle, f"grants no test exercises (see {REPORT}):\n" + "\n".join(
        f"  {entry.function}: {entry.statement.describe()}" for entry in idle
    )
