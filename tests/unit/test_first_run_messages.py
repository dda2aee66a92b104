"""A newcomer's first `make run` / `make test` says what is happening (issue 15)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.harness import ROOT

pytestmark = pytest.mark.unit

CHROMIUM = Path("/usr/bin/chromium")  # where tests/browser looks for it


def _make(*args: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(["make", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


def test_building_the_venv_says_each_step_before_it_runs():
    # -n: print what a first run would do (without doing it); -W: as if the requirements had changed
    planned = _make("-n", "-W", "requirements-dev.txt", "venv")

    assert "a few minutes" in planned
    for step in ("[1/4] creating", "[2/4] upgrading pip", "[3/4] installing requirements-dev.txt", "[4/4]"):
        assert step in planned


def test_make_test_says_loudly_when_the_browser_tests_cannot_run_and_how_to_run_them():
    said = _make("-s", "browser-check")

    if CHROMIUM.exists():
        assert "SKIPPED" not in said
    else:
        assert "BROWSER TESTS SKIPPED" in said
        assert "apt-get install -y chromium" in said
        assert "pytest -m browser" in said
