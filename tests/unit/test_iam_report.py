"""The unexercised-grant report: a statement counts as exercised only by a call it allowed."""

from __future__ import annotations

from local.iam_actions import Need
from local.iam_guard import SeenCall
from local.iam_policy import Statement
from local.iam_report import exercise, render, unexercised

TABLE = "arn:aws:dynamodb:ap-southeast-1:123456789012:table/audit"


def _allow(origin: str, actions: tuple[str, ...], resource: str) -> Statement:
    return Statement(origin, "Allow", actions, (), (resource,), (), conditional=False, managed=False)


def test_a_statement_a_call_used_is_exercised_and_one_nobody_used_is_reported():
    used = _allow("Role/AppendToAuditTrail", ("dynamodb:PutItem", "dynamodb:Query"), TABLE)
    idle = _allow("Role/ReadReviews", ("dynamodb:GetItem",), f"{TABLE}-reviews")
    call = SeenCall("AdminApiFunction", "dynamodb", "PutItem", (Need("dynamodb:PutItem", TABLE),), allowed=True)
    entries = exercise({"AdminApiFunction": [used, idle]}, [call])
    assert [e.statement for e in unexercised(entries)] == [idle]
    assert "never: dynamodb:Query" in render(entries)


def test_a_call_of_another_function_does_not_exercise_this_role():
    statement = _allow("Role/AppendToAuditTrail", ("dynamodb:PutItem",), TABLE)
    call = SeenCall("PublicApiFunction", "dynamodb", "PutItem", (Need("dynamodb:PutItem", TABLE),), allowed=True)
    assert unexercised(exercise({"AdminApiFunction": [statement]}, [call]))


def test_a_justified_statement_is_not_reported():
    key_use = _allow("Policy/UseDataKey", ("kms:Decrypt",), "arn:aws:kms:ap-southeast-1:1:key/k")
    assert unexercised(exercise({"AdminApiFunction": [key_use]}, [])) == []


def test_refused_calls_are_listed_in_the_report():
    refused = SeenCall("PublicApiFunction", "dynamodb", "Scan", (Need("dynamodb:Scan", TABLE),), allowed=False)
    assert "PublicApiFunction: dynamodb.Scan" in render([], [refused])


def test_the_use_of_an_existing_stores_own_key_is_justified_wherever_the_template_grants_it():
    # Granted only when a deploy gives the key's ARN (the stand-in's stores use no key of their own);
    # DynamoDB, S3 and the stream poller then use it on the role's behalf, never a handler's call.
    from local import sam_template

    granted = [
        (role["Ref"].removesuffix("Role"), f"{logical_id}/{statement['Sid']}")
        for logical_id, resource in sam_template.load()["Resources"].items()
        if resource["Type"] == "AWS::IAM::Policy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Sid") == "UseStoreKey"
        for role in resource["Properties"]["Roles"]
    ]
    assert len(granted) >= 4, "fulfilment, the sweep, legal holds and the TTL stream poller"
    for function, origin in granted:
        key_use = _allow(origin, ("kms:Decrypt",), "arn:aws:kms:ap-southeast-1:123456789012:key/k")
        assert unexercised(exercise({function: [key_use]}, [])) == [], origin
