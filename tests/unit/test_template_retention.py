"""Static checks of how template.yaml wires retention: schedule, DLQ, no Scan, TTL accounting."""

from __future__ import annotations

import json

import pytest

from local import sam_template
from privacydesk.datamap.domain.model import load_datamap

pytestmark = pytest.mark.unit

RESOURCES = sam_template.load()["Resources"]
SWEEP = RESOURCES["RetentionSweepFunction"]["Properties"]
ACCOUNTING = RESOURCES["RetentionTtlAccountingFunction"]["Properties"]
GOVERNED_TABLES = sorted(
    name
    for name, resource in RESOURCES.items()
    if resource["Type"] == "AWS::DynamoDB::Table"
    and any(i["IndexName"] == "by_expiry" for i in resource["Properties"].get("GlobalSecondaryIndexes", []))
)


def test_the_sweep_runs_daily_with_retries_and_a_dead_letter_queue():
    (schedule,) = [e["Properties"] for e in SWEEP["Events"].values() if e["Type"] == "ScheduleV2"]
    assert schedule["ScheduleExpression"].startswith("cron(")
    assert schedule["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert schedule["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["RetentionDeadLetterQueue", "Arn"]}
    assert SWEEP["DeadLetterQueue"]["TargetArn"] == {"Fn::GetAtt": ["RetentionDeadLetterQueue", "Arn"]}
    assert RESOURCES["RetentionDeadLetterQueue"]["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}


def test_the_sweep_may_never_scan_a_table():
    attached = [  # AWS::IAM::Policy resources on the sweep's role (the data map's generated grants)
        {"Statement": resource["Properties"]["PolicyDocument"]["Statement"]}
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::IAM::Policy"
        and {"Ref": "RetentionSweepFunctionRole"} in resource["Properties"]["Roles"]
    ]
    actions = [
        action
        for policy in [*SWEEP["Policies"], *attached]
        for statement in policy.get("Statement", [])
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ]
    assert "dynamodb:Scan" not in actions
    assert "dynamodb:Query" in actions


def test_every_data_map_table_is_governed_by_ttl_and_the_expiry_index():
    for store in load_datamap().stores:
        if store.kind != "dynamodb":
            continue
        if store.location.existing:
            continue  # a table the company already had: its TTL and index are its own (README, "Adding a store")
        logical = store.location.template_name
        assert logical in GOVERNED_TABLES, f"{store.name}: {logical} has no by_expiry index"
        props = RESOURCES[logical]["Properties"]
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        assert props["StreamSpecification"]["StreamViewType"] in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")


def test_ttl_deletions_of_every_governed_table_reach_the_accounting_function_and_nothing_else():
    streams = {}
    for event in ACCOUNTING["Events"].values():
        assert event["Type"] == "DynamoDB"
        props = event["Properties"]
        streams[props["Stream"]["Fn::GetAtt"][0]] = props
        (pattern,) = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
        assert pattern["userIdentity"] == {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}
        assert props["DestinationConfig"]["OnFailure"]["Destination"]
    assert sorted(streams) == GOVERNED_TABLES
