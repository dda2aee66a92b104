"""Each function's environment (template.yaml: Globals plus its own) against its config model.

The model is what the function validates at cold start; the template is what Lambda gives it. Both
ways: nothing the model needs is missing, and nothing is given that the model does not declare.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from local import sam_template
from local.provision import unprovisioned_stack
from privacydesk.kernel.function_config import CONFIG_OF_FUNCTION, FunctionConfig, FunctionConfigError
from privacydesk.kernel.settings import MissingSetting, Settings
from tools.datamap_wiring import shipped, union

pytestmark = pytest.mark.unit

FUNCTIONS = sam_template.functions()
# The data maps' stores name their own variables; the functions that reach every store (fulfilment,
# the sweep, legal holds, TTL accounting) and check webhook callbacks (the public API) are given them
# by tools/datamap_wiring.py, and read them on first use of a store (datamap/adapters/locations.py, a
# clear StoreMisconfigured if unset).
DATAMAP_VARIABLES = union(shipped()).variables


def _folder(logical_id: str) -> str:
    return FUNCTIONS[logical_id].code_dir.name


def _deployed_environment(logical_id: str) -> dict[str, str]:
    """The function's variables as CloudFormation resolves them on AWS (no local endpoint)."""
    return unprovisioned_stack().function_environment(logical_id)


def test_every_function_has_a_config_model():
    assert sorted(_folder(logical_id) for logical_id in FUNCTIONS) == sorted(CONFIG_OF_FUNCTION)


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_the_template_gives_each_function_everything_its_model_requires(logical_id: str):
    model = CONFIG_OF_FUNCTION[_folder(logical_id)]

    config = model.from_environment(_deployed_environment(logical_id))

    assert isinstance(config, model)


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_the_template_gives_no_function_a_variable_its_model_does_not_read(logical_id: str):
    model = CONFIG_OF_FUNCTION[_folder(logical_id)]

    unread = set(FUNCTIONS[logical_id].environment) - model.variables() - DATAMAP_VARIABLES

    assert unread == set(), f"{logical_id} is given variables it does not read"


@pytest.mark.parametrize("folder", sorted(CONFIG_OF_FUNCTION))
def test_each_handler_validates_its_own_model_at_import(folder: str):
    source = (Path("functions") / folder / "handler.py").read_text(encoding="utf-8")

    assert f"{CONFIG_OF_FUNCTION[folder].__name__}.from_environment()" in source


def test_a_missing_table_name_fails_the_cold_start_naming_the_variable():
    environment = _deployed_environment("SesFeedbackFunction")
    del environment["SUPPRESSION_TABLE"]

    with pytest.raises(FunctionConfigError, match="SUPPRESSION_TABLE"):
        CONFIG_OF_FUNCTION["ses_feedback"].from_environment(environment)


def test_an_empty_table_name_is_refused_not_taken_as_a_name():
    environment = {**_deployed_environment("SesFeedbackFunction"), "DELIVERY_LEDGER_TABLE": ""}

    with pytest.raises(FunctionConfigError, match="DELIVERY_LEDGER_TABLE"):
        CONFIG_OF_FUNCTION["ses_feedback"].from_environment(environment)


def test_every_function_is_given_the_powertools_settings_of_globals():
    for logical_id in FUNCTIONS:
        assert FunctionConfig.required_variables() <= set(FUNCTIONS[logical_id].environment), logical_id


def test_a_table_name_has_no_silent_default():
    with pytest.raises(MissingSetting, match="REQUESTS_TABLE"):
        _ = Settings.from_environ({}).requests_table


def test_a_table_name_is_read_from_the_environment():
    assert Settings.from_environ({"REQUESTS_TABLE": "requests-x1"}).requests_table == "requests-x1"


def test_every_resource_name_a_model_declares_is_one_settings_knows():
    resource_names = set(Settings.required_variables()) | DATAMAP_VARIABLES
    declared = set().union(*(model.variables() for model in CONFIG_OF_FUNCTION.values()))

    assert {name for name in declared if name.endswith(("_TABLE", "_BUCKET", "_QUEUE_URL"))} <= resource_names


def test_a_data_map_the_layer_does_not_ship_fails_the_cold_start_naming_the_choices():
    environment = {**_deployed_environment("FulfilmentFunction"), "DATAMAP_FILE": "datamap.prod.yaml"}

    with pytest.raises(FunctionConfigError, match="DATAMAP_FILE") as refused:
        CONFIG_OF_FUNCTION["fulfilment"].from_environment(environment)
    assert "no data map 'datamap.prod.yaml' in the layer" in str(refused.value)
    assert "choose one of datamap.services.yaml, datamap.yaml" in str(refused.value)


def test_each_shipped_data_map_passes_the_cold_start_check():
    for file_name in ("datamap.yaml", "datamap.services.yaml"):
        environment = {**_deployed_environment("PublicApiFunction"), "DATAMAP_FILE": file_name}
        assert CONFIG_OF_FUNCTION["public_api"].from_environment(environment).datamap_file == file_name
