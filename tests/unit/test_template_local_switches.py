"""The template's two local-only switches: the functions' architecture and the AWS endpoint.

On AWS (every parameter at its default) they change nothing: arm64 everywhere, no AWS_ENDPOINT_URL.
`sam local invoke` on an x86_64 machine flips them (README, "sam local invoke")."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from local import sam_template
from local.provision import LocalStack

pytestmark = pytest.mark.unit

LAYER_MAKEFILE = sam_template.ROOT / "layers" / "shared" / "Makefile"


def _stack(**parameters: Any) -> LocalStack:
    return LocalStack(
        region="ap-southeast-1",
        account="123456789012",
        endpoint_url=None,
        physical={"RequestsTable": "privacydesk-RequestsTable-ABC"},
        parameters={**sam_template.parameter_defaults(), **parameters},
    )


def test_on_aws_no_function_is_given_an_aws_endpoint():
    stack = _stack()
    for logical_id in sam_template.functions():
        assert "AWS_ENDPOINT_URL" not in stack.function_environment(logical_id), logical_id


def test_every_function_declares_the_aws_endpoint_so_sam_local_may_set_it():
    stack = _stack(LocalAwsEndpointUrl="http://172.17.0.1:4566")
    for logical_id in sam_template.functions():
        environment = stack.function_environment(logical_id)
        assert environment["AWS_ENDPOINT_URL"] == "http://172.17.0.1:4566", logical_id
        # Only the functions that read the requests table are given its name (function_config).
        if "REQUESTS_TABLE" in environment:
            assert environment["REQUESTS_TABLE"] == "privacydesk-RequestsTable-ABC", logical_id


def test_functions_and_layer_deploy_on_arm64_by_default():
    template = sam_template.load()
    assert template["Parameters"]["FunctionArchitecture"]["Default"] == "arm64"
    assert template["Globals"]["Function"]["Architectures"] == [{"Ref": "FunctionArchitecture"}]
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert "Architectures" not in resource["Properties"], f"{name} overrides the parameter"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            assert resource["Properties"]["CompatibleArchitectures"] == [{"Ref": "FunctionArchitecture"}]


def _layer_pip_command(*make_args: str) -> str:
    """What the layer's build (`sam build` runs `make build-SharedLayer`) would run, without running it."""
    dry_run = subprocess.run(
        ["make", "-n", "-s", "build-SharedLayer", "ARTIFACTS_DIR=/tmp/layer", *make_args],
        cwd=LAYER_MAKEFILE.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={k: v for k, v in os.environ.items() if k not in ("PLATFORM", "FUNCTION_ARCHITECTURE")},
    )
    commands = dry_run.stdout.replace("\\\n", " ").splitlines()
    return next(line for line in commands if "pip install" in line)


@pytest.mark.parametrize(
    ("make_args", "platform"),
    [
        ((), "manylinux2014_aarch64"),
        (("FUNCTION_ARCHITECTURE=arm64",), "manylinux2014_aarch64"),
        (("FUNCTION_ARCHITECTURE=x86_64",), "manylinux2014_x86_64"),
    ],
)
def test_the_layer_gets_wheels_for_the_functions_architecture(make_args: tuple[str, ...], platform: str):
    assert f"--platform {platform} " in _layer_pip_command(*make_args)


def test_the_layer_refuses_an_unknown_architecture():
    with pytest.raises(subprocess.CalledProcessError):
        _layer_pip_command("FUNCTION_ARCHITECTURE=amd64")
