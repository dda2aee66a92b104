"""The log groups and alarms of template.yaml are the generator's output, not hand copies."""

from __future__ import annotations

import pytest

from local import sam_template
from tools import template_gen

pytestmark = pytest.mark.unit


def test_template_matches_the_generator_run_make_template_if_not():
    text = template_gen.TEMPLATE_PATH.read_text(encoding="utf-8")

    assert template_gen.render(text) == text


def test_a_hand_edit_inside_the_generated_block_is_caught():
    text = template_gen.TEMPLATE_PATH.read_text(encoding="utf-8")
    edited = text.replace("public_api raised errors (5 minutes).", "public_api raised errors.", 1)

    assert edited != text
    assert template_gen.render(edited) != edited


def test_every_function_of_the_template_is_in_the_generators_list():
    listed = {f"{function.prefix}Function" for function in template_gen.FUNCTIONS}

    assert listed == set(sam_template.functions())


def test_every_dead_letter_queue_of_the_template_is_in_the_generators_list():
    resources = sam_template.load()["Resources"]
    queues = {name for name, resource in resources.items() if resource["Type"] == "AWS::SQS::Queue"}
    dead_letter_queues = {name for name in queues if "DeadLetter" in name}

    assert {queue.queue for queue in template_gen.DEAD_LETTER_QUEUES} == dead_letter_queues


def test_each_function_logs_to_the_group_the_generator_makes():
    resources = sam_template.load()["Resources"]
    for function in template_gen.FUNCTIONS:
        logging = resources[f"{function.prefix}Function"]["Properties"]["LoggingConfig"]
        assert logging == {"LogGroup": {"Ref": f"{function.prefix}LogGroup"}}


def test_check_mode_fails_on_a_stale_template(tmp_path):
    stale = tmp_path / "template.yaml"
    current = template_gen.TEMPLATE_PATH.read_text(encoding="utf-8")
    stale.write_text(
        current.replace("deadline_monitor was throttled.", "deadline_monitor throttled.", 1), encoding="utf-8"
    )

    assert template_gen.main(["--check", "--template", str(stale)]) == 1
    assert template_gen.main(["--template", str(stale)]) == 0
    assert template_gen.main(["--check", "--template", str(stale)]) == 0
