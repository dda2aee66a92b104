"""Reads template.yaml the way SAM does: functions, their events, handlers and environment."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


@dataclass(frozen=True)
class FunctionEvent:
    name: str
    type: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str  # "module.function"
    environment: dict[str, Any]  # unresolved (may hold Ref/Sub/GetAtt)
    events: list[FunctionEvent] = field(default_factory=list)
    timeout: int = 30
    memory_mb: int = 512


@lru_cache(maxsize=4)
def load(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml_parse(path.read_text(encoding="utf-8"))
    return loaded


def functions(path: Path = TEMPLATE_PATH) -> dict[str, FunctionSpec]:
    template = load(path)
    global_props = template.get("Globals", {}).get("Function", {})
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        env = copy.deepcopy(global_props.get("Environment", {}).get("Variables", {}))
        env.update(props.get("Environment", {}).get("Variables", {}))
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=(path.parent / props["CodeUri"]).resolve(),
            handler=props.get("Handler", global_props.get("Handler", "handler.lambda_handler")),
            environment=env,
            events=[
                FunctionEvent(name, event["Type"], event.get("Properties", {}))
                for name, event in props.get("Events", {}).items()
            ],
            timeout=int(props.get("Timeout", global_props.get("Timeout", 30))),
            memory_mb=int(props.get("MemorySize", global_props.get("MemorySize", 512))),
        )
    return specs


def parameter_defaults(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return {name: p.get("Default") for name, p in load(path).get("Parameters", {}).items()}


# What `!Ref AWS::NoValue` resolves to: the property (an environment variable) is left out.
NO_VALUE = object()


class Resolver:
    """Resolves the intrinsics our environment variables use, against a provisioned stack."""

    def __init__(
        self,
        physical: dict[str, str],
        attributes: dict[str, dict[str, str]],
        parameters: dict[str, Any],
        region: str,
        account: str,
    ) -> None:
        self.physical = physical
        self.attributes = attributes
        self.parameters = parameters
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "privacydesk-local",
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Fn::GetAtt":
                name, attr = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.attributes.get(name, {}).get(attr, "")
            if key == "Fn::Sub":
                text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return self._sub(text, {k: self.resolve(v) for k, v in local.items()})
            if key == "Fn::Join":
                return arg[0].join(str(self.resolve(v)) for v in arg[1])
            if key == "Fn::If":
                condition, if_true, if_false = arg
                return self.resolve(if_true if self.condition(condition) else if_false)
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(arg[0])]
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(arg[0])
        if isinstance(value, (dict, list)):
            raise ValueError(f"unsupported intrinsic in environment: {value!r}")
        return value

    def condition(self, name: str) -> bool:
        """One of the template's Conditions (Equals, Not, And, Or, Condition), against the parameters."""
        return self._truth(load().get("Conditions", {})[name])

    def _truth(self, expression: Any) -> bool:
        ((key, arg),) = expression.items()
        if key == "Condition":
            return self.condition(arg)
        if key == "Fn::Equals":
            left, right = (self.resolve(value) for value in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self._truth(arg[0])
        if key == "Fn::And":
            return all(self._truth(value) for value in arg)
        if key == "Fn::Or":
            return any(self._truth(value) for value in arg)
        raise ValueError(f"unsupported condition: {expression!r}")

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.physical.get(name, "")

    def _sub(self, text: str, local: dict[str, Any]) -> str:
        import re

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in local:
                return str(local[token])
            if "." in token:
                name, attr = token.split(".", 1)
                return str(self.attributes.get(name, {}).get(attr, ""))
            return str(self._ref(token))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)
