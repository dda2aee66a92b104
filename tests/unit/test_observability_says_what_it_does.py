"""Tracing is off, and says so: no function turns X-Ray on and no code pretends to trace.
Metric units are written one way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from local import sam_template
from local.provision import translated_template

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "layers" / "shared" / "privacydesk").rglob("*.py")),
    *sorted((ROOT / "functions").rglob("*.py")),
]


def test_xray_tracing_is_disabled_for_every_function():
    template = sam_template.load()
    assert template["Globals"]["Function"]["Tracing"] == "Disabled"
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert "Tracing" not in resource["Properties"], f"{name} turns tracing back on"


def test_the_deployed_functions_have_no_tracing_config_and_no_xray_grant():
    resources = translated_template()["Resources"]
    functions = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    roles = [r for r in resources.values() if r["Type"] == "AWS::IAM::Role"]

    assert functions
    assert all("TracingConfig" not in function["Properties"] for function in functions)
    assert not any("Xray" in str(role["Properties"].get("ManagedPolicyArns", [])) for role in roles)


def test_no_code_creates_a_tracer_the_template_would_not_use():
    creating = [path.name for path in SOURCES if re.search(r"\bTracer\(", path.read_text(encoding="utf-8"))]

    assert creating == []


def test_metric_units_are_written_as_metric_unit_members_everywhere():
    string_units = [path.name for path in SOURCES if re.search(r"unit=[\"']", path.read_text(encoding="utf-8"))]

    assert string_units == []
