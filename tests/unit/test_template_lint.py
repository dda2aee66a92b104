"""The linter we rely on must catch a broken template (cfn-lint >= 1.54 no longer transforms
SAM, so it would pass `Runtime: python3.99`). We pin a version that does, and prove it here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.harness import ROOT

pytestmark = pytest.mark.unit


class _Loader(yaml.SafeLoader):
    pass


def _any_tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return {f"Fn::{suffix}" if suffix not in ("Ref",) else "Ref": loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {f"Fn::{suffix}": loader.construct_sequence(node, deep=True)}
    return {f"Fn::{suffix}": loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _any_tag)  # type: ignore[no-untyped-call]


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _broken_copy(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=_Loader)  # noqa: S506 - our own loader
    mutate(template)
    target = tmp_path / "template.yaml"
    target.write_text(yaml.safe_dump(template, sort_keys=False))
    return target


def test_the_template_is_clean():
    result = _lint(ROOT / "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_runtime_fails_the_lint(tmp_path: Path):
    def mutate(template: dict) -> None:  # type: ignore[type-arg]
        template["Resources"]["PublicApiFunction"]["Properties"]["Runtime"] = "python3.99"

    result = _lint(_broken_copy(tmp_path, mutate))
    assert result.returncode != 0
    assert "E3030" in result.stdout


def test_an_impossible_sqs_batch_size_fails_the_lint(tmp_path: Path):
    def mutate(template: dict) -> None:  # type: ignore[type-arg]
        template["Resources"]["BrokenQueue"] = {"Type": "AWS::SQS::Queue"}
        template["Resources"]["PublicApiFunction"]["Properties"]["Events"]["Broken"] = {
            "Type": "SQS",
            "Properties": {"Queue": {"Fn::GetAtt": "BrokenQueue.Arn"}, "BatchSize": 100000},
        }

    result = _lint(_broken_copy(tmp_path, mutate))
    assert result.returncode != 0
    assert "E3034" in result.stdout
