"""samconfig.toml: a dev and a prod environment that can live side by side in one account."""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path

import pytest

from local import sam_template

pytestmark = pytest.mark.unit

CONFIG = tomllib.loads((Path(__file__).resolve().parents[2] / "samconfig.toml").read_text())


def _overrides(env: str) -> dict[str, str]:
    text = CONFIG[env]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in shlex.split(text))


def test_dev_and_prod_deploy_as_two_stacks():
    names = {env: CONFIG[env]["deploy"]["parameters"]["stack_name"] for env in ("dev", "prod")}
    assert names["dev"] != names["prod"]
    assert CONFIG["prod"]["deploy"]["parameters"]["confirm_changeset"] is True


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_override_names_a_template_parameter(env: str):
    assert set(_overrides(env)) <= set(sam_template.parameter_defaults())


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_no_environment_reserves_concurrency_by_default(env: str):
    assert _overrides(env)["ReserveConcurrency"] == "false"
