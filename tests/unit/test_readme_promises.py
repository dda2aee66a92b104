"""README's promise table names, for each promise, modules and tests that exist; issue 20's promises
(processors, GDPR Art. 19; manual steps) have their rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PATH = re.compile(r"`((?:privacydesk|tests|tools|local|functions)/[\w./-]*)(?:::(\w+))?`")


def _rows() -> list[tuple[str, str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Policy promises and where they are kept", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 3 and cells[0] not in ("promise in the policy", "---|---|---"):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def _exists(path: str) -> bool:
    return (ROOT / path).exists() or (ROOT / "layers" / "shared" / path).exists()


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row[0][:60])
def test_every_module_and_test_a_promise_names_exists(row: tuple[str, str, str]):
    _, modules, tests = row
    for path, test_name in PATH.findall(modules + " " + tests):
        assert _exists(path), path
        if test_name:
            assert f"def {test_name}(" in (ROOT / path).read_text(encoding="utf-8"), f"{path}::{test_name}"


@pytest.mark.parametrize(
    ("promise", "module", "test"),
    [
        ("GDPR Art. 19", "privacydesk/processors/", "tests/integration/test_processor_notices.py"),
        ("Manual steps", "privacydesk/fulfilment/entry/admin_tasks.py", "tests/unit/test_manual_task_report.py"),
    ],
)
def test_issue_20s_promises_have_rows_naming_module_and_test(promise: str, module: str, test: str):
    (row,) = [row for row in _rows() if promise in row[0]]
    assert module in row[1]
    assert test in row[2]
