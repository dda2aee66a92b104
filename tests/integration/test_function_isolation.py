"""On the stand-in each function runs in a sandbox of its own, as on Lambda (local/invoker.py).

A two-function template of probes (no AWS needed): each probe reports the environment and the module
state it sees, and can be told to fail or to crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.invoker import FunctionError, FunctionRunner
from local.provision import LocalStack

pytestmark = pytest.mark.integration

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 10
    Environment:
      Variables:
        SHARED_SETTING: from-globals
Resources:
  ProbeFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: probe/
      Handler: handler.lambda_handler
      Environment:
        Variables:
          ONLY_PROBE: "yes"
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: probe/
      Handler: handler.lambda_handler
  ShortTimeoutFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: probe/
      Handler: handler.lambda_handler
      Timeout: 1
"""

PROBE = """\
import os
import sys
import time

invocations = 0


def lambda_handler(event, context):
    global invocations
    invocations += 1
    if event.get("fail"):
        raise ValueError("told to fail")
    if event.get("crash"):
        os._exit(3)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("pollute"):
        os.environ["POLLUTED"] = "yes"
        sys.modules["polluted_marker"] = sys
    return {
        "environment": dict(os.environ),
        "invocations": invocations,
        "marker": "polluted_marker" in sys.modules,
        "function_name": context.function_name,
    }
"""


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FunctionRunner]:
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "handler.py").write_text(PROBE)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    # Set in the stand-in's own process: no function may see it.
    monkeypatch.setenv("STAND_IN_PROCESS_ONLY", "leak")
    stack = LocalStack(region="ap-southeast-1", account="123456789012", endpoint_url="http://127.0.0.1:9")
    runner = FunctionRunner(stack, template=tmp_path / "template.yaml")
    try:
        yield runner
    finally:
        runner.close()


def test_each_function_sees_exactly_its_own_template_environment(runner: FunctionRunner):
    probe = runner.invoke("ProbeFunction", {})["environment"]
    other = runner.invoke("OtherFunction", {})["environment"]

    assert probe["ONLY_PROBE"] == "yes"
    assert "ONLY_PROBE" not in other
    assert probe["SHARED_SETTING"] == other["SHARED_SETTING"] == "from-globals"
    assert "STAND_IN_PROCESS_ONLY" not in probe
    assert "STAND_IN_PROCESS_ONLY" not in other
    # what Lambda and the stand-in provide
    assert probe["AWS_REGION"] == "ap-southeast-1"
    assert probe["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"


def test_module_state_stays_warm_within_a_function_and_never_crosses_to_another(runner: FunctionRunner):
    runner.invoke("ProbeFunction", {"pollute": True})
    second = runner.invoke("ProbeFunction", {})
    other = runner.invoke("OtherFunction", {})

    assert second["invocations"] == 2
    assert second["marker"] is True
    assert other["invocations"] == 1
    assert other["marker"] is False
    assert "POLLUTED" not in other["environment"]


def test_an_unhandled_error_names_the_function_and_the_error(runner: FunctionRunner):
    with pytest.raises(FunctionError, match=r"ProbeFunction failed: ValueError: told to fail"):
        runner.invoke("ProbeFunction", {"fail": True})


def test_after_an_unhandled_error_the_next_invocation_gets_a_fresh_sandbox(runner: FunctionRunner):
    runner.invoke("ProbeFunction", {"pollute": True})
    with pytest.raises(FunctionError):
        runner.invoke("ProbeFunction", {"fail": True})

    after = runner.invoke("ProbeFunction", {})
    assert after["invocations"] == 1
    assert after["marker"] is False
    assert "POLLUTED" not in after["environment"]


def test_a_crashed_function_is_reported_and_replaced(runner: FunctionRunner):
    with pytest.raises(FunctionError, match=r"ProbeFunction failed: Runtime.ExitError: .*exited with code 3"):
        runner.invoke("ProbeFunction", {"crash": True})

    assert runner.invoke("ProbeFunction", {})["invocations"] == 1


def test_an_unknown_function_is_refused_by_name(runner: FunctionRunner):
    with pytest.raises(KeyError, match=r"NoSuchFunction is not a function in template\.yaml"):
        runner.invoke("NoSuchFunction", {})


def test_the_context_names_the_function(runner: FunctionRunner):
    assert runner.invoke("OtherFunction", {})["function_name"] == "privacydesk-local-OtherFunction"


def test_an_invocation_past_its_timeout_is_stopped_and_the_next_one_runs(runner: FunctionRunner):
    runner.invoke("ShortTimeoutFunction", {})  # warm: the worker's start is not the function's time

    with pytest.raises(FunctionError, match=r"ShortTimeoutFunction failed: Sandbox.Timedout: .*after 1 seconds"):
        runner.invoke("ShortTimeoutFunction", {"sleep": 60})

    assert runner.invoke("ShortTimeoutFunction", {})["invocations"] == 1
