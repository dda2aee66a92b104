"""Deadlines and the compliance report on the running stand-in: the scheduled monitor, and the
chart CLI fetching the report over SigV4 with the stand-in's credentials."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.e2e.conftest import RunningStack
from tests.support.flows import unique_email
from tests.support.harness import ROOT

pytestmark = pytest.mark.e2e


def test_the_monitor_fires_on_tick_at_the_scheduled_time(running: RunningStack):
    (fired,) = running.tick("DeadlineMonitorFunction")["fired"]
    summary = fired["result"]
    assert fired["schedule"] == "Hourly"
    # the Scheduler's <aws.scheduler.scheduled-time> keyword was filled in and drove the run
    ran_at = datetime.fromisoformat(summary["now"])
    assert abs(ran_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_the_chart_cli_draws_the_report_fetched_over_sigv4(running: RunningStack, tmp_path):
    reply = requests.post(
        f"{running.api}/v1/requests", json={"type": "access", "email": unique_email("chart")}, timeout=30
    )
    assert reply.status_code == 202, reply.text
    today = datetime.now(UTC).date()
    out = tmp_path / "chart.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "privacydesk.ops.report_chart",
            "--stack-file",
            str(running.stack_file),
            "--from",
            (today - timedelta(days=14)).isoformat(),
            "--to",
            (today + timedelta(days=2)).isoformat(),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
