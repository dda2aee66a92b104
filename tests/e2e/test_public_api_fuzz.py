"""Schemathesis against the running stand-in's public OpenAPI document (`/v1/openapi.json`).

Every operation the document lists is fuzzed, so routes added later are covered without touching
this file. All checks run (server errors, status codes, content types, headers, response schemas,
negative data rejected, positive data accepted, undeclared methods, auth, stateful links); the
one tuning is in tests/e2e/schemathesis.toml. Bounded: MAX_EXAMPLES per operation and phase, a
fixed seed, a per-request timeout, loopback only. Run with `make fuzz` (part of `make audit`);
the default test run deselects the `fuzz` marker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import RunningStack
from tests.support.harness import ROOT

pytestmark = pytest.mark.fuzz

MIN_CASES = 1000
MAX_EXAMPLES = 150  # per operation and phase; hypothesis stops earlier where an input space is exhausted
SEED = 20251130
RUN_TIMEOUT_SECONDS = 1500
CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_public_api_holds_to_its_openapi_document(running: RunningStack, tmp_path: Path):
    document_url = f"{running.api}/v1/openapi.json"
    assert urlsplit(document_url).hostname == "127.0.0.1", "the fuzzer targets the local stand-in only"
    report_path = tmp_path / "schemathesis.json"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "--config-file",
            str(CONFIG),
            "--no-color",
            "run",
            document_url,
            "--checks",
            "all",
            "--mode",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--report",
            "json",
            "--report-json-path",
            str(report_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    report = json.loads(report_path.read_text())
    cases = report["test_cases"]["generated"]
    print(f"schemathesis: {report['operations']['tested']} operations, {cases} cases, {report['running_time']:.0f}s")
    assert report["failures"] == []
    assert report["errors"] == []
    assert report["operations"]["errored"] == 0
    assert cases >= MIN_CASES, f"only {cases} cases were generated ({report['operations']})"
