"""The policy evaluator decides as AWS does for the statement forms the template uses."""

from __future__ import annotations

from local.iam_actions import Need
from local.iam_policy import Statement, evaluate

TABLE = "arn:aws:dynamodb:ap-southeast-1:123456789012:table/reviews"


def _statement(
    effect: str = "Allow",
    actions: tuple[str, ...] = (),
    resources: tuple[str, ...] = (),
    not_actions: tuple[str, ...] = (),
    not_resources: tuple[str, ...] = (),
    conditional: bool = False,
) -> Statement:
    return Statement("test/0", effect, actions, not_actions, resources, not_resources, conditional, managed=False)


def test_nothing_is_allowed_without_a_statement():
    assert not evaluate([], Need("dynamodb:GetItem", TABLE)).allowed


def test_an_allow_for_the_action_on_the_resource_allows_it():
    assert evaluate(
        [_statement(actions=("dynamodb:GetItem",), resources=(TABLE,))], Need("dynamodb:GetItem", TABLE)
    ).allowed


def test_another_action_on_the_same_resource_is_not_allowed():
    statement = _statement(actions=("dynamodb:GetItem", "dynamodb:Query"), resources=(TABLE,))
    assert not evaluate([statement], Need("dynamodb:UpdateItem", TABLE)).allowed


def test_the_table_grant_does_not_cover_its_indexes():
    statement = _statement(actions=("dynamodb:Query",), resources=(TABLE,))
    assert not evaluate([statement], Need("dynamodb:Query", f"{TABLE}/index/open")).allowed


def test_action_wildcards_ignore_case_and_resource_wildcards_do_not():
    statement = _statement(actions=("SQS:SendMessage*",), resources=("arn:aws:sqs:*:*:Notices",))
    assert evaluate([statement], Need("sqs:SendMessage", "arn:aws:sqs:ap-southeast-1:1:Notices")).allowed
    assert not evaluate([statement], Need("sqs:SendMessage", "arn:aws:sqs:ap-southeast-1:1:notices")).allowed


def test_question_mark_matches_one_character():
    statement = _statement(actions=("s3:GetObject",), resources=("arn:aws:s3:::b/?",))
    assert evaluate([statement], Need("s3:GetObject", "arn:aws:s3:::b/x")).allowed
    assert not evaluate([statement], Need("s3:GetObject", "arn:aws:s3:::b/xy")).allowed


def test_an_explicit_deny_beats_any_allow():
    allow = _statement(actions=("dynamodb:*",), resources=("*",))
    deny = _statement(effect="Deny", actions=("dynamodb:DeleteItem",), resources=(TABLE,))
    decision = evaluate([allow, deny], Need("dynamodb:DeleteItem", TABLE))
    assert not decision.allowed
    assert decision.denied_by == deny


def test_not_resource_allows_everything_but_the_excluded_arns():
    sms_only = _statement(actions=("sns:Publish",), not_resources=("arn:aws:sns:*:*:*",))
    assert evaluate([sms_only], Need("sns:Publish", "*")).allowed
    assert not evaluate([sms_only], Need("sns:Publish", "arn:aws:sns:ap-southeast-1:1:alarms")).allowed


def test_not_action_allows_every_other_action():
    statement = _statement(not_actions=("dynamodb:Delete*",), resources=(TABLE,))
    assert evaluate([statement], Need("dynamodb:PutItem", TABLE)).allowed
    assert not evaluate([statement], Need("dynamodb:DeleteItem", TABLE)).allowed


def test_an_allow_with_a_condition_grants_nothing_because_conditions_are_not_evaluated():
    statement = _statement(actions=("s3:ListBucket",), resources=("arn:aws:s3:::b",), conditional=True)
    assert not evaluate([statement], Need("s3:ListBucket", "arn:aws:s3:::b")).allowed


def test_a_deny_with_a_condition_always_applies():
    allow = _statement(actions=("s3:*",), resources=("*",))
    deny = _statement(effect="Deny", actions=("s3:*",), resources=("*",), conditional=True)
    assert not evaluate([allow, deny], Need("s3:GetObject", "arn:aws:s3:::b/k")).allowed
