"""Regression (issue 15): Powertools `Metrics()` was created when the package was imported; a process
that imported it before the function's environment existed had no namespace, the first flush raised
`SchemaValidationError: Must contain a metric namespace`, and every later invocation failed on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.support.harness import ROOT

pytestmark = pytest.mark.unit

# A process with the environment a user's shell has: no Powertools variable at all.
USER_ENVIRONMENT = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": os.environ.get("HOME", "/"),
    "LANG": "C.UTF-8",
}

IMPORT_FIRST_THEN_INVOKE = textwrap.dedent(
    """
    from privacydesk.kernel.observability import metrics

    @metrics.log_metrics
    def handler(event, context):
        metrics.add_metric(name="Probe", unit="Count", value=1)
        return "ok"

    print("results", handler({}, None), handler({}, None))
    """
)


def _run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=USER_ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_metrics_imported_before_any_environment_still_flush_every_invocation():
    result = _run(IMPORT_FIRST_THEN_INVOKE)

    assert result.returncode == 0, result.stderr[-2000:]
    assert "results ok ok" in result.stdout
    records = [json.loads(line) for line in result.stdout.splitlines() if '"_aws"' in line]
    assert len(records) == 2
    for record in records:
        assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "PrivacyDesk"
        assert record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]  # as the alarms expect
        assert record["Probe"] == [1.0]  # each invocation flushes its own metric, nothing carried over


def test_the_function_configuration_names_the_namespace():
    script = "import os; os.environ['POWERTOOLS_METRICS_NAMESPACE'] = 'Elsewhere'\n" + IMPORT_FIRST_THEN_INVOKE
    result = _run(script)

    assert result.returncode == 0, result.stderr[-2000:]
    records = [json.loads(line) for line in result.stdout.splitlines() if '"_aws"' in line]
    assert {r["_aws"]["CloudWatchMetrics"][0]["Namespace"] for r in records} == {"Elsewhere"}
