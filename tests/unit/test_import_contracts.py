"""The layering rules in .importlinter hold, and the linter is live: a deliberately wrong import in a
copy of the package breaks the contract it should."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(source_root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / ".importlinter"), "--no-cache"],
        cwd=source_root,
        env={"PYTHONPATH": str(source_root), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "layers/shared/privacydesk", copy / "privacydesk", ignore=shutil.ignore_patterns("__pycache__")
    )
    return copy


def _with_module(copy: Path, relative: str, text: str) -> Path:
    module = copy / "privacydesk" / relative
    module.write_text(text, encoding="utf-8")
    return module


def test_the_package_keeps_every_contract():
    result = _lint(ROOT / "layers/shared")
    assert result.returncode == 0, result.stdout[-3000:]


WRONG_IMPORTS = [
    # (where the wrong module goes, what it imports, the contract that must break)
    ("requests/domain/leaky.py", "import boto3", "Domain code knows neither boto3"),
    # reporting already reads requests; requests reading reporting closes a loop
    (
        "requests/domain/loop.py",
        "from privacydesk.reporting.domain import compliance_report",
        "No cycles between capabilities",
    ),
    ("kernel/upward.py", "from privacydesk.policy.domain import policy", "The kernel imports no capability"),
]


@pytest.mark.parametrize(("relative", "line", "contract"), WRONG_IMPORTS, ids=[w[0] for w in WRONG_IMPORTS])
def test_a_wrong_import_breaks_the_contract_named_for_it(package_copy: Path, relative: str, line: str, contract: str):
    module = _with_module(package_copy, relative, f"{line}  # noqa\n")
    try:
        result = _lint(package_copy)
    finally:
        module.unlink()
    assert result.returncode != 0
    assert contract in result.stdout
    # the report names the wrong module, or for a cycle the two capabilities it joins
    named = "privacydesk." + relative.removesuffix(".py").replace("/", ".")
    assert named in result.stdout or ".requests -> .reporting" in result.stdout
