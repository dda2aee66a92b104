"""Every function's events in events/ work with the real handler (as with sam local invoke)."""

from __future__ import annotations

import json

import pytest

from local import sam_template
from tests.support.harness import EVENTS, Harness

pytestmark = pytest.mark.integration

FOLDERS = {spec.logical_id: spec.code_dir.name for spec in sam_template.functions().values()}


def test_every_function_has_events():
    for logical_id, folder in FOLDERS.items():
        assert list((EVENTS / folder).glob("*.json")), f"{logical_id} has no events in events/{folder}/"


@pytest.mark.parametrize(
    ("function", "path"),
    [(fn, p) for fn, folder in FOLDERS.items() for p in sorted((EVENTS / folder).glob("*.json"))],
    ids=lambda value: getattr(value, "name", value),
)
def test_event_file_runs_without_error(stack: Harness, function: str, path):
    result = stack.invoke(function, json.loads(path.read_text()))
    if isinstance(result, dict) and "statusCode" in result:
        assert result["statusCode"] < 500, result
