"""The clocks (Asia/Manila business hours) must not depend on the Lambda runtime's OS time-zone data."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

LAYER_REQUIREMENTS = Path(__file__).resolve().parents[2] / "layers" / "shared" / "requirements.txt"


def test_the_layer_ships_time_zone_data():
    pins = [line.split("==")[0].strip().lower() for line in LAYER_REQUIREMENTS.read_text().splitlines()]
    assert "tzdata" in pins


def test_manila_time_resolves_with_no_os_time_zone_data():
    # A fresh interpreter with an empty search path: only the tzdata package can answer.
    script = (
        "import zoneinfo\n"
        "from datetime import datetime, UTC\n"
        "assert zoneinfo.TZPATH == (), zoneinfo.TZPATH\n"
        "from privacydesk.requests.domain.notifications import MANILA\n"
        "print(datetime(2026, 6, 1, tzinfo=UTC).astimezone(MANILA).isoformat())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONTZPATH": "", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == datetime(2026, 6, 1, 8, tzinfo=UTC).replace(tzinfo=None).isoformat() + "+08:00"
