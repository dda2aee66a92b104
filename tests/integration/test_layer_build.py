"""The shared layer as `sam build` makes it (layers/shared/Makefile): complete, precompiled, and
without the boto3 stack the Lambda runtime provides. Built here for this machine's platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "urllib3", "jmespath", "dateutil")
HASH_BASED_UNCHECKED = 0b01  # PEP 552 flags: hash-based, source not checked


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    artifacts = tmp_path_factory.mktemp("layer")
    subprocess.run(
        ["make", "-s", "-C", str(ROOT / "layers" / "shared"), "build-SharedLayer"],
        env={**os.environ, "ARTIFACTS_DIR": str(artifacts), "PLATFORM": "", "PYTHON": sys.executable},
        check=True,
        capture_output=True,
        timeout=600,
    )
    return artifacts / "python"


def test_the_layer_leaves_out_what_the_runtime_provides(layer: Path):
    shipped = {path.name for path in layer.iterdir()}
    assert not shipped & set(RUNTIME_PROVIDED)
    assert {"privacydesk", "pydantic", "pynamodb", "aws_lambda_powertools"} <= shipped


def test_every_module_ships_bytecode_that_needs_no_source_check(layer: Path):
    sources = [path for path in layer.rglob("*.py") if "__pycache__" not in path.parts]
    assert len(sources) > 500
    missing, checked = [], []
    for source in sources:
        cached = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
        if not cached.exists():
            missing.append(source)
        elif int.from_bytes(cached.read_bytes()[4:8], "little") != HASH_BASED_UNCHECKED:
            checked.append(source)
    assert missing == []
    assert checked == []


def _every_functions_environment() -> dict[str, str]:
    from local import sam_template
    from local.provision import unprovisioned_stack

    stack = unprovisioned_stack()
    environment: dict[str, str] = {}
    for logical_id in sam_template.functions():
        environment.update(stack.function_environment(logical_id))
    return environment


def test_every_handler_imports_from_the_built_layer_without_writing_bytecode(layer: Path):
    probe = """
import importlib.util, json, pathlib, sys
from privacydesk.datamap.domain.model import load_datamap
loaded = []
for handler in sorted(pathlib.Path("functions").glob("*/handler.py")):
    spec = importlib.util.spec_from_file_location(f"handler_{handler.parent.name}", handler)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    loaded.append(handler.parent.name)
import privacydesk
print(json.dumps({"handlers": loaded, "package": privacydesk.__file__, "stores": len(load_datamap().stores)}))
"""
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={
            **os.environ,
            **_every_functions_environment(),  # each handler validates its configuration at import
            "PYTHONPATH": str(layer),
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_DEFAULT_REGION": "ap-southeast-1",
        },
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(report["handlers"]) == len(list((ROOT / "functions").glob("*/handler.py")))
    assert report["package"].startswith(str(layer))
    assert report["stores"] > 0  # the data files travel with the package
