"""Each function's role, as template.yaml gives it after the SAM transform, and a policy evaluator.

The evaluator covers what identity policies here use: Allow/Deny, Action/NotAction and
Resource/NotResource with `*`/`?` wildcards. Conditions are not evaluated; they are treated
conservatively (an Allow with a Condition grants nothing, a Deny with one always applies), so a
condition can only make the local check stricter than AWS, never looser. Only the grants on an
existing store's own KMS key have one (kms:ViaService), and they exist only when its key ARN is given;
no handler calls KMS itself. Policy variables (`${aws:...}`) are not expanded either (none is used).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from samtranslator.translator.transform import transform

from local import sam_template
from local.iam_actions import Need
from local.provision import LocalStack

# The AWS managed policies SAM attaches to function roles, as AWS publishes them. A role with
# another managed policy is refused (install fails) rather than guessed at.
_LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
MANAGED_POLICIES: dict[str, list[dict[str, Any]]] = {
    "service-role/AWSLambdaBasicExecutionRole": [{"Effect": "Allow", "Action": _LOGS, "Resource": "*"}],
    "AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
    "service-role/AWSLambdaSQSQueueExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *_LOGS],
            "Resource": "*",
        }
    ],
    "service-role/AWSLambdaDynamoDBExecutionRole": [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                *_LOGS,
            ],
            "Resource": "*",
        }
    ],
}


@dataclass(frozen=True)
class Statement:
    """One statement of a role's policies; `origin` says where it came from (policy and Sid)."""

    origin: str
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    conditional: bool
    managed: bool  # from an AWS managed policy SAM attaches (used by the Lambda service itself)

    def matches(self, need: Need) -> bool:
        if self.actions and not any(_wildcard(pattern, need.action, fold=True) for pattern in self.actions):
            return False
        if self.not_actions and any(_wildcard(pattern, need.action, fold=True) for pattern in self.not_actions):
            return False
        if self.resources and not any(_wildcard(pattern, need.resource) for pattern in self.resources):
            return False
        return not (self.not_resources and any(_wildcard(p, need.resource) for p in self.not_resources))

    def describe(self) -> str:
        what = ", ".join(self.actions) or f"NotAction {', '.join(self.not_actions)}"
        where = ", ".join(self.resources) or f"NotResource {', '.join(self.not_resources)}"
        return f"{self.origin}: {self.effect} {what} on {where}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    denied_by: Statement | None = None  # an explicit Deny
    allowed_by: tuple[Statement, ...] = ()


def evaluate(statements: Iterable[Statement], need: Need) -> Decision:
    """AWS's identity-policy logic: an explicit Deny wins, else an Allow is needed."""
    allows: list[Statement] = []
    for statement in statements:
        if not statement.matches(need):
            continue
        if statement.effect == "Deny":
            return Decision(False, denied_by=statement)
        if not statement.conditional:
            allows.append(statement)
    return Decision(bool(allows), allowed_by=tuple(allows))


@cache
def _pattern(pattern: str, fold: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if fold else re.DOTALL)


def _wildcard(pattern: str, value: str, fold: bool = False) -> bool:
    return bool(_pattern(pattern, fold).match(value))


def role_statements(stack: LocalStack) -> dict[str, list[Statement]]:
    """Function logical id -> every statement of its execution role, after the SAM transform.

    Inline policies of the role, the managed policies SAM attaches (basic execution, X-Ray, SQS and
    stream pollers, dead-letter queues), and AWS::IAM::Policy resources attached to the role.
    """
    resources = _transformed(stack.region)["Resources"]
    resolve = _DeepResolver(stack.resolver())
    statements: dict[str, list[Statement]] = {}
    role_of: dict[str, str] = {}
    for logical_id in sam_template.functions():
        role_ref = resources[logical_id]["Properties"]["Role"]
        role_logical = role_ref["Fn::GetAtt"][0] if isinstance(role_ref["Fn::GetAtt"], list) else role_ref
        role_of[role_logical] = logical_id
        role = resources[role_logical]["Properties"]
        found: list[Statement] = []
        for policy in role.get("Policies", []):
            found += _statements(policy["PolicyName"], resolve(policy["PolicyDocument"]), managed=False)
        for arn in role.get("ManagedPolicyArns", []):
            name = str(resolve(arn)).split(":policy/", 1)[1]
            if name not in MANAGED_POLICIES:
                raise ValueError(f"{logical_id}: managed policy {name} is unknown to local/iam_policy.py")
            found += _statements(name, {"Statement": MANAGED_POLICIES[name]}, managed=True)
        statements[logical_id] = found
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        if "Condition" in resource and not resolve.resolver.condition(resource["Condition"]):
            continue  # not created with these parameters (a webhook store's grant, when its data map is not chosen)
        props = resource["Properties"]
        for role_ref in props.get("Roles", []):
            function = role_of.get(role_ref.get("Ref", "") if isinstance(role_ref, dict) else "")
            if function:
                statements[function] += _statements(logical_id, resolve(props["PolicyDocument"]), managed=False)
    return statements


def _statements(policy_name: str, document: dict[str, Any], managed: bool) -> list[Statement]:
    raw = document["Statement"]
    found = []
    for index, statement in enumerate(raw if isinstance(raw, list) else [raw]):
        found.append(
            Statement(
                origin=f"{policy_name}/{statement.get('Sid') or index}",
                effect=statement["Effect"],
                actions=_strings(statement.get("Action")),
                not_actions=_strings(statement.get("NotAction")),
                resources=_strings(statement.get("Resource")),
                not_resources=_strings(statement.get("NotResource")),
                conditional="Condition" in statement,
                managed=managed,
            )
        )
    return found


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


@cache
def _transformed(region: str) -> dict[str, Any]:
    """The template after the SAM transform, events included (they add poller and DLQ grants)."""
    from local.provision import ARTIFACT_BUCKET, _NoManagedPolicies

    template = copy.deepcopy(sam_template.load())
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/code.zip"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = f"s3://{ARTIFACT_BUCKET}/code.zip"
    result: dict[str, Any] = transform(template, {"AWS::Region": region}, _NoManagedPolicies())
    return result


def resolve_deep(resolver: sam_template.Resolver, value: Any) -> Any:
    """`value` (a policy document, or a list of them) with every intrinsic resolved by `resolver`."""
    return _DeepResolver(resolver)(value)


class _DeepResolver:
    """Resolves intrinsics anywhere in a policy document against the provisioned stack."""

    def __init__(self, resolver: sam_template.Resolver) -> None:
        self.resolver = resolver

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Fn::Select":
                    return self(arg[1])[int(arg[0])]
                if key == "Fn::Split":
                    return str(self(arg[1])).split(arg[0])
                if key == "Fn::Sub" and not isinstance(arg, str):
                    return self.resolver.resolve({key: [arg[0], {k: self(v) for k, v in arg[1].items()}]})
                if key == "Fn::Join":
                    return arg[0].join(str(self(v)) for v in arg[1])
                if key == "Fn::If":  # a grant that follows a parameter (e.g. a secret created or passed in)
                    return self(arg[1] if self.resolver.condition(arg[0]) else arg[2])
                if key in ("Ref", "Fn::GetAtt", "Fn::Sub"):
                    resolved = self.resolver.resolve(value)
                    if resolved in ("", None):
                        raise ValueError(f"cannot resolve {value!r} against the stand-in's stack")
                    return resolved
                if key.startswith("Fn::"):
                    raise ValueError(f"unsupported intrinsic in a policy: {value!r}")
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        return value
