"""What a first `sam deploy` into a fresh account needs, proven on the template and on the template
SAM turns it into (there is no AWS account here): no reserved-concurrency quota, a second stack
beside the first, evidence that survives a delete or a replacement, conditioned key grants,
attributable access logs, and rule targets that keep what they could not deliver."""

from __future__ import annotations

import copy
import json
import os
import re
from collections import Counter
from functools import cache
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from local import sam_template
from privacydesk.retention.domain import retention_sweep

pytestmark = pytest.mark.unit

RESOURCES = sam_template.load()["Resources"]
STATEFUL_TYPES = {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup"}
# The records the three-year retention and the audit rely on (requests, audit trail, policy versions,
# notice ledger, emailed requests under review, holds, objections, suppressions).
EVIDENCE_TABLES = {
    "RequestsTable",
    "AuditTable",
    "PolicyTable",
    "DeliveryLedgerTable",
    "ReviewTable",
    "SubjectHoldsTable",
    "SubjectPreferencesTable",
    "SuppressionTable",
}
# The property that gives each resource type its account-wide (per region) name.
NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::Scheduler::ScheduleGroup": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::SES::ReceiptRuleSet": "RuleSetName",
    "AWS::SES::ConfigurationSet": "Name",
}


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


@cache
def _transformed_json() -> str:
    """The whole template through aws-sam-translator, events included (schedules, rules, queues)."""
    template = copy.deepcopy(sam_template.load())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts/code.zip"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://artifacts/code.zip"
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    return json.dumps(transform(template, {}, _NoManagedPolicies()))


def _transformed() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_transformed_json())
    return loaded


class _Deployment:
    """Resolves what the names and conditions need, as CloudFormation would for one stack."""

    def __init__(self, template: dict[str, Any], stack_name: str, parameters: dict[str, str] | None = None) -> None:
        self.template = template
        self.parameters = {name: str(p.get("Default", "")) for name, p in template.get("Parameters", {}).items()} | (
            parameters or {}
        )
        self.pseudo = {
            "AWS::StackName": stack_name,
            "AWS::Region": "ap-southeast-1",
            "AWS::AccountId": "123456789012",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                if arg in self.pseudo:
                    return self.pseudo[arg]
                if arg == "AWS::NoValue":
                    return _NO_VALUE
                return self.parameters.get(arg, f"<{arg}>")
            if key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                return re.sub(r"\$\{([^}!]+)\}", lambda m: str(self.resolve({"Ref": m.group(1)})), text)
            if key == "Fn::Join":
                return arg[0].join(str(self.resolve(v)) for v in arg[1])
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                return self.resolve(arg[0]) == self.resolve(arg[1])
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::GetAtt":
                return f"<{arg}>"
        return {k: self.resolve(v) for k, v in value.items()}

    def property(self, logical_id: str, name: str) -> Any:
        value = self.resolve(self.template["Resources"][logical_id].get("Properties", {}).get(name, _NO_VALUE))
        return None if value is _NO_VALUE else value

    def explicit_names(self) -> dict[str, str]:
        """'type name' -> logical id, for every resource the template (or SAM) names itself."""
        names: dict[str, str] = {}
        for logical_id, resource in self.template["Resources"].items():
            prop = NAME_PROPERTIES.get(resource["Type"])
            if prop and resource.get("Properties", {}).get(prop) is not None:
                names[f"{resource['Type']} {self.property(logical_id, prop)}"] = logical_id
        return names


_NO_VALUE = object()


def _functions() -> dict[str, dict[str, Any]]:
    return {k: r for k, r in _transformed()["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}


def _event_source_of(function: str, queue: str) -> dict[str, Any]:
    (mapping,) = [
        r["Properties"]
        for r in _transformed()["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": function}
        and r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    ]
    return mapping


# ------------------------------------------------------------------ concurrency


def test_a_default_deploy_reserves_no_concurrency_so_a_new_account_quota_suffices():
    deployment = _Deployment(_transformed(), "privacydesk")
    reserved = {name: deployment.property(name, "ReservedConcurrentExecutions") for name in _functions()}
    assert {name: value for name, value in reserved.items() if value is not None} == {}


def test_reserving_concurrency_is_a_parameter_that_caps_only_the_http_api_functions():
    deployment = _Deployment(_transformed(), "privacydesk", {"ReserveConcurrency": "true"})
    reserved = {name: deployment.property(name, "ReservedConcurrentExecutions") for name in _functions()}
    assert {name: value for name, value in reserved.items() if value is not None} == {
        "PublicApiFunction": 20,
        "AdminApiFunction": 5,
    }


def test_fulfilment_concurrency_is_bounded_on_its_queue_event_source_not_by_reservation():
    mapping = _event_source_of("FulfilmentFunction", "FulfilmentQueue")
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 5}
    comments = [s["comment"] for s in RESOURCES["FulfilmentFunction"]["Metadata"]["checkov"]["skip"]]
    assert any("MaximumConcurrency" in comment for comment in comments)


def test_the_sweep_is_single_because_of_its_lease_not_reserved_concurrency():
    sweep = RESOURCES["RetentionSweepFunction"]["Properties"]
    assert "ReservedConcurrentExecutions" not in sweep
    # A holder that dies frees the lease only after the function could no longer be running.
    assert sweep["Timeout"] < retention_sweep.LEASE_SECONDS


def test_the_sweep_continues_through_its_queue_and_never_invokes_a_function_by_name_pattern():
    sweep = _functions()["RetentionSweepFunction"]["Properties"]
    assert sweep["RecursiveLoop"] == "Allow"  # an intended, bounded loop through SQS
    mapping = _event_source_of("RetentionSweepFunction", "RetentionContinuationQueue")
    assert mapping["BatchSize"] == 1
    role = _transformed()["Resources"]["RetentionSweepFunctionRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert not [s for s in statements if "lambda:InvokeFunction" in json.dumps(s["Action"])]
    send = [s for s in statements if s["Action"] == "sqs:SendMessage"]
    assert {"Fn::GetAtt": ["RetentionContinuationQueue", "Arn"]} in [s["Resource"] for s in send]
    queue = RESOURCES["RetentionContinuationQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * sweep["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["RetentionContinuationDeadLetterQueue", "Arn"]
    }


# ------------------------------------------------------------------ two stacks


def test_two_stacks_in_one_account_and_region_name_nothing_alike():
    staging = _Deployment(_transformed(), "privacydesk-staging").explicit_names()
    production = _Deployment(_transformed(), "privacydesk-prod").explicit_names()
    assert staging, "no explicitly named resource found: the test would prove nothing"
    shared = {name: staging[name] for name in staging.keys() & production.keys()}
    assert shared == {}


def test_every_schedule_is_named_after_the_stack():
    template = _transformed()
    schedules = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::Scheduler::Schedule"]
    assert len(schedules) == 3
    for logical_id in schedules:
        name = _Deployment(template, "pd-x").property(logical_id, "Name")
        assert name.startswith("pd-x-"), f"{logical_id} is named {name!r}"


def test_the_event_bus_is_named_after_the_stack():
    assert _Deployment(_transformed(), "pd-x").property("EventBus", "Name") == "pd-x-events"


# Service limits on the names the template builds from the stack name.
NAME_LIMITS = {
    "AWS::Scheduler::Schedule": 64,
    "AWS::SES::ReceiptRuleSet": 64,
    "AWS::SES::ConfigurationSet": 64,
    "AWS::Lambda::LayerVersion": 140,
    "AWS::Events::EventBus": 256,
    "AWS::KMS::Alias": 256,
    "AWS::CloudWatch::Alarm": 255,
    "AWS::CloudWatch::Dashboard": 255,
}
LONGEST_STACK_NAME = 46  # README "Deploy" promises this length works


def test_a_stack_name_of_the_documented_length_fits_every_name_limit():
    names = _Deployment(_transformed(), "p" * LONGEST_STACK_NAME).explicit_names()
    for key in names:
        kind, name = key.split(" ", 1)
        assert len(name) <= NAME_LIMITS[kind], f"{names[key]}: {name!r} is longer than {kind} allows"


def test_no_name_in_the_template_collides_within_one_stack():
    names = Counter(_Deployment(_transformed(), "pd").explicit_names().values())
    assert [logical for logical, count in names.items() if count > 1] == []


# ------------------------------------------------------------------ evidence


@pytest.mark.parametrize("logical_id", sorted(k for k, r in RESOURCES.items() if r["Type"] in STATEFUL_TYPES))
def test_every_stateful_resource_survives_a_stack_delete_and_a_replacement(logical_id: str):
    resource = _transformed()["Resources"][logical_id]
    assert resource.get("DeletionPolicy") == "Retain"
    assert resource.get("UpdateReplacePolicy") == "Retain"


def test_the_stateful_resources_are_the_ones_the_issue_counts():
    kinds = Counter(r["Type"] for r in RESOURCES.values() if r["Type"] in STATEFUL_TYPES)
    assert kinds["AWS::DynamoDB::Table"] >= 17
    assert kinds["AWS::S3::Bucket"] >= 4
    assert kinds["AWS::KMS::Key"] >= 2


@pytest.mark.parametrize("logical_id", sorted(EVIDENCE_TABLES))
def test_evidence_tables_refuse_deletion(logical_id: str):
    assert _transformed()["Resources"][logical_id]["Properties"]["DeletionProtectionEnabled"] is True


# ------------------------------------------------------------------ keys, logs, targets


def _service_statements() -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, statement)
        for logical_id, resource in _transformed()["Resources"].items()
        if resource["Type"] == "AWS::KMS::Key"
        for statement in resource["Properties"]["KeyPolicy"]["Statement"]
        if "Service" in statement["Principal"]
    ]


def test_every_key_grant_to_an_aws_service_is_tied_to_this_account_or_its_resources():
    statements = _service_statements()
    assert statements
    for logical_id, statement in statements:
        condition = json.dumps(statement.get("Condition", {}))
        assert any(key in condition for key in ("aws:SourceAccount", "aws:SourceArn", "kms:EncryptionContext")), (
            f"{logical_id}/{statement.get('Sid')} lets {statement['Principal']} use the key for anyone"
        )


def test_no_key_grants_sns_or_sqs_which_use_no_key_of_ours_as_a_service():
    principals = json.dumps([statement["Principal"] for _, statement in _service_statements()])
    assert "sns.amazonaws.com" not in principals
    assert "sqs.amazonaws.com" not in principals


def test_api_access_logs_say_who_called_from_where_and_how_it_went():
    log_format = json.loads(RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]["Format"])
    values = set(log_format.values())
    for variable in (
        "$context.identity.sourceIp",
        "$context.identity.userArn",
        "$context.requestId",
        "$context.status",
        "$context.responseLatency",
    ):
        assert variable in values


def test_every_eventbridge_rule_target_has_a_dead_letter_queue_and_a_retry_policy():
    targets = [
        (logical_id, target)
        for logical_id, resource in _transformed()["Resources"].items()
        if resource["Type"] == "AWS::Events::Rule"
        for target in resource["Properties"]["Targets"]
    ]
    assert len(targets) >= 4
    for logical_id, target in targets:
        assert "Arn" in target.get("DeadLetterConfig", {}), logical_id
        assert target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 0) > 0, logical_id


def test_every_schedule_target_has_a_dead_letter_queue_and_a_retry_policy():
    for logical_id, resource in _transformed()["Resources"].items():
        if resource["Type"] == "AWS::Scheduler::Schedule":
            target = resource["Properties"]["Target"]
            assert "Arn" in target.get("DeadLetterConfig", {}), logical_id
            assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0, logical_id


def test_each_rule_dead_letter_queue_accepts_events_only_from_its_own_rules():
    resources = _transformed()["Resources"]
    allowed: dict[str, list[Any]] = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::SQS::QueuePolicy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Principal"] == {"Service": "events.amazonaws.com"}:
                arns = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                for arn in arns:
                    allowed.setdefault(json.dumps(arn), []).extend(statement["Condition"]["ArnEquals"]["aws:SourceArn"])
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Events::Rule":
            continue
        for target in resource["Properties"]["Targets"]:
            rule_arn = {"Fn::GetAtt": [logical_id, "Arn"]}
            assert rule_arn in allowed.get(json.dumps(target["DeadLetterConfig"]["Arn"]), []), logical_id
