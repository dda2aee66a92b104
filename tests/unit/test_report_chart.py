"""The report chart CLI draws a PNG from a saved report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from privacydesk.ops import report_chart
from privacydesk.reporting.domain import compliance_report

pytestmark = pytest.mark.unit


def test_the_cli_draws_requests_per_week_and_the_on_time_rate(tmp_path):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    report = compliance_report.build([], start, start + timedelta(days=90), start + timedelta(days=100))
    saved = tmp_path / "report.json"
    saved.write_text(report.model_dump_json(), encoding="utf-8")
    out = tmp_path / "chart.png"
    assert report_chart.main(["--input", str(saved), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(json.loads(saved.read_text())["weekly"]) == 14


def test_fetching_needs_a_period(tmp_path):
    with pytest.raises(SystemExit, match="--from and --to"):
        report_chart.main(["--url", "https://api.example.com", "--out", str(tmp_path / "c.png")])


def test_the_report_is_fetched_only_over_https_or_loopback():
    with pytest.raises(SystemExit, match="https"):
        report_chart.fetch_report("http://api.example.com", "2026-01-01", "2026-02-01", None, "ap-southeast-1")  # type: ignore[arg-type]
