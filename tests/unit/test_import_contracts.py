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


def test_domain_code_importing_boto3_breaks_the_contract(package_copy: Path):
    module = _with_module(package_copy, "requests/domain/leaky.py", "import boto3  # noqa\n")
    try:
        result = _lint(package_copy)
    finally:
        module.unlink()
    assert result.returncode != 0
    assert "Domain code knows neither boto3" in result.stdout
    assert "privacydesk.requests.domain.leaky" in result.stdout


def test_a_cycle_between_two_capabilities_breaks_the_contract(package_copy: Path):
    # reporting already reads requests; requests reading reporting closes a loop.
    module = _with_module(
        package_copy, "requests/domain/loop.py", "from privacydesk.reporting.domain import compliance_report  # noqa\n"
    )
    try:
        result = _lint(package_copy)
    finally:
        module.unlink()
    assert result.returncode != 0
    assert "No cycles between capabilities" in result.stdout


def test_the_kernel_importing_a_capability_breaks_the_contract(package_copy: Path):
    module = _with_module(package_copy, "kernel/upward.py", "from privacydesk.policy.domain import policy  # noqa\n")
    try:
        result = _lint(package_copy)
    finally:
        module.unlink()
    assert result.returncode != 0
    assert "The kernel imports no capability" in result.stdout
