"""Least privilege, measured: every statement of every role is exercised by some test's calls.

Runs last (tests/conftest.py orders it, and hands it out last on pytest workers), after every
in-process test made its calls as its functions' roles. On workers, it also reads the calls every
other worker made (tests/support/iam_calls.py), waiting for them. It writes the whole picture to
.local/iam-unused.txt (per statement: actions used, actions never used) and fails on a statement
nothing exercised unless local/iam_report.JUSTIFIED says why. It can judge only a run that included
every in-process integration and fault test file; on a partial run it writes the report and skips,
saying which files were missing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from local import iam_guard, iam_report
from tests.conftest import IAM_CALLS_DIR_KEY, in_process_files_run
from tests.support import iam_calls
from tests.support.harness import ROOT, Harness

pytestmark = pytest.mark.integration

REPORT = ROOT / ".local" / "iam-unused.txt"
# Files whose handlers run in a stand-in subprocess: their calls are checked there, not seen here.
OUT_OF_PROCESS = {"test_dead_letters_stand_in.py"}


def _in_process_test_files() -> set[Path]:
    found = {*ROOT.glob("tests/integration/test_*.py"), *ROOT.glob("tests/faults/test_*.py")}
    return {path for path in found if path.name not in OUT_OF_PROCESS}


def _calls_and_files_of_the_run(request: pytest.FixtureRequest) -> tuple[Counter[iam_guard.SeenCall], set[Path]]:
    """The calls every in-process test of this run made, and the test files that ran."""
    seen = Counter(iam_guard.calls_seen())
    workerinput: dict[str, Any] | None = getattr(request.config, "workerinput", None)
    if workerinput is None or IAM_CALLS_DIR_KEY not in workerinput:  # one process ran everything
        return seen, {Path(str(item.path)) for item in request.session.items}
    others, files = iam_calls.gather(Path(workerinput[IAM_CALLS_DIR_KEY]), iam_calls.other_workers(workerinput))
    seen.update(others)
    files |= in_process_files_run(request.config)
    return seen, {ROOT / path for path in files} | {Path(str(request.path))}


def test_every_granted_statement_is_exercised_or_justified(stack: Harness, request: pytest.FixtureRequest):
    seen, ran = _calls_and_files_of_the_run(request)
    entries = iam_report.exercise(iam_guard.statements(), seen)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(iam_report.render(entries, seen), encoding="utf-8")
    missing = sorted(path.name for path in _in_process_test_files() - ran)
    if missing:
        pytest.skip(f"partial run ({len(missing)} test files not run, e.g. {missing[0]}); report in {REPORT}")
    idle = iam_report.unexercised(entries)
    assert not idle, f"grants no test exercises (see {REPORT}):\n" + "\n".join(
        f"  {entry.function}: {entry.statement.describe()}" for entry in idle
    )
