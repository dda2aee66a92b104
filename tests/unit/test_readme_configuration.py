"""README's Configuration table lists, for every function, exactly the variables the template gives it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from local import sam_template

pytestmark = pytest.mark.unit

ROW = re.compile(r"^\| `(\w+Function)` \| (.*) \|$", re.MULTILINE)


def _readme_table() -> dict[str, set[str]]:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return {function: set(re.findall(r"`(\w+)`", variables)) for function, variables in ROW.findall(section)}


def test_readme_lists_every_function_of_the_template():
    assert set(_readme_table()) == set(sam_template.functions())


def test_readme_lists_each_functions_own_variables_as_the_template_gives_them():
    template = sam_template.load()["Resources"]
    for function, variables in _readme_table().items():
        own = set(template[function]["Properties"].get("Environment", {}).get("Variables", {}))
        assert variables == own, function
