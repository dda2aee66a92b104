"""`privacydesk doctor` against the stand-in (a moto server provisioned from template.yaml, as
`make run` does): what it finds, what it asks the operator to do, and what it cannot check here."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from privacydesk.ops import cli, doctor
from tests.support.harness import fake_aws_environment

pytestmark = pytest.mark.e2e

REGION = "ap-southeast-1"


@pytest.fixture(scope="module")
def stack_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from local.provision import provision, write_stack_file

    fake_aws_environment()
    # The moto server's own request log names the identities asked for; it is not the product's log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    stack = provision(region=REGION, endpoint_url=f"http://{host}:{port}")
    path = tmp_path_factory.mktemp("doctor") / "stack.json"
    write_stack_file(stack, path, credentials={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    try:
        yield path
    finally:
        server.stop()


def _aws(stack_file: Path, service: str) -> Any:
    info = json.loads(stack_file.read_text())
    return boto3.client(service, region_name=REGION, endpoint_url=info["endpoint_url"])


def _doctor(stack_file: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, dict[str, str]]]:
    code = cli.main(["--stack-file", str(stack_file), "doctor", "--json"])
    report = json.loads(capsys.readouterr().out)
    return code, {finding["check"]: finding for finding in report["findings"]}


def test_a_stand_in_at_its_defaults_needs_action_for_its_example_com_parameters(stack_file, capsys):
    code, findings = _doctor(stack_file, capsys)
    assert code == 1
    assert findings["parameters"]["status"] == "action"
    assert "DpoEmail" in findings["parameters"]["detail"]
    assert "SenderEmail" in findings["parameters"]["detail"]
    assert "--parameter-overrides" in findings["parameters"]["action"]


def test_what_the_stand_in_cannot_answer_is_unknown_not_a_crash(stack_file, capsys):
    # moto has no SES v2 GetAccount, no SNS GetSMSSandboxAccountStatus, no Lambda GetAccountSettings.
    _, findings = _doctor(stack_file, capsys)
    for check in ("ses-production-access", "sns-sms-sandbox", "concurrency-quota"):
        assert findings[check]["status"] == "unknown", findings[check]
        assert "not checkable here" in findings[check]["detail"]


def test_the_verified_sender_and_the_dpo_subscription_pass(stack_file, capsys):
    _, findings = _doctor(stack_file, capsys)
    assert findings["sender-identity"]["status"] == "ok"
    assert findings["dpo-alarm-subscription"]["status"] == "ok"


def test_the_stand_ins_existing_tickets_table_streams_its_ttl_deletions_to_the_accounting_function(stack_file, capsys):
    # The stand-in made the table outside the template, with a stream, and passed its ARN as a parameter.
    _, findings = _doctor(stack_file, capsys)
    assert findings["ttl-streams"]["status"] == "ok", findings["ttl-streams"]


def test_the_stand_ins_existing_stores_use_no_key_of_their_own_so_no_key_grant_is_asked_for(stack_file, capsys):
    # Made outside the template with AWS's default encryption; their <parameter>KmsKeyArn stay empty.
    _, findings = _doctor(stack_file, capsys)
    assert findings["store-keys"]["status"] == "ok", findings["store-keys"]
    assert findings["store-keys"]["detail"].startswith("2 existing store(s)")


def test_an_unverified_sender_is_named_with_the_command_that_verifies_it(stack_file, capsys):
    sesv2 = _aws(stack_file, "sesv2")
    sesv2.delete_email_identity(EmailIdentity="example.com")
    try:
        _, findings = _doctor(stack_file, capsys)
    finally:
        sesv2.create_email_identity(EmailIdentity="example.com")
    assert findings["sender-identity"]["status"] == "action"
    assert "create-email-identity --email-identity example.com" in findings["sender-identity"]["action"]


def test_another_active_rule_set_means_mail_is_not_received_and_says_how_to_switch(stack_file, capsys):
    ses = _aws(stack_file, "ses")
    ours = json.loads(stack_file.read_text())["physical"]["InboundRuleSet"]
    ses.create_receipt_rule_set(RuleSetName="someone-elses")
    ses.set_active_receipt_rule_set(RuleSetName="someone-elses")
    try:
        code, findings = _doctor(stack_file, capsys)
        assert findings["receipt-rule-set"]["status"] == "action"
        assert "the active one is someone-elses" in findings["receipt-rule-set"]["detail"]
        assert f"set-active-receipt-rule-set --rule-set-name {ours}" in findings["receipt-rule-set"]["action"]
        ses.set_active_receipt_rule_set(RuleSetName=ours)
        _, findings = _doctor(stack_file, capsys)
        assert findings["receipt-rule-set"]["status"] == "ok"
    finally:
        ses.set_active_receipt_rule_set(RuleSetName=ours)
    assert code == 1


def test_a_missing_dpo_subscription_asks_for_one(stack_file, capsys):
    sns = _aws(stack_file, "sns")
    topic = json.loads(stack_file.read_text())["physical"]["AlarmTopic"]
    (subscription,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    try:
        _, findings = _doctor(stack_file, capsys)
    finally:
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=subscription["Endpoint"])
    assert findings["dpo-alarm-subscription"]["status"] == "action"
    assert f"--topic-arn {topic}" in findings["dpo-alarm-subscription"]["action"]


def test_the_readable_report_gives_each_check_and_what_to_do(stack_file, capsys):
    code = cli.main(["--stack-file", str(stack_file), "doctor"])
    text = capsys.readouterr().out
    assert code == 1
    assert "[ ACTION] parameters: still at their example.com defaults" in text
    assert "[unknown] sns-sms-sandbox: not checkable here" in text
    assert "do: sam deploy --config-env" in text
    assert text.rstrip().endswith("could not be checked here.")


# What the stand-in cannot answer, answered as AWS would (botocore's Stubber), so the failing cases
# of those checks are shown too.


def _stubbed(service: str, operation: str, response: dict[str, Any], parameters: dict[str, str]) -> doctor.StackFacts:
    client = boto3.client(service, region_name=REGION)
    stubber = Stubber(client)
    stubber.add_response(operation, response)
    stubber.activate()
    return doctor.StackFacts("pd-prod", REGION, parameters, {}, lambda _: client)


def test_a_concurrency_reservation_beyond_a_new_accounts_quota_needs_action():
    stack = _stubbed(
        "lambda",
        "get_account_settings",
        {"AccountLimit": {"ConcurrentExecutions": 10}},
        {"ReserveConcurrency": "true"},
    )
    finding = doctor.check_concurrency_quota(stack)
    assert finding.status == "action"
    assert "needs a concurrency quota of 125; the account has 10" in finding.detail


def test_no_reservation_fits_any_quota():
    stack = _stubbed(
        "lambda",
        "get_account_settings",
        {"AccountLimit": {"ConcurrentExecutions": 10}},
        {"ReserveConcurrency": "false"},
    )
    assert doctor.check_concurrency_quota(stack).status == "ok"


def test_an_ses_account_in_the_sandbox_needs_production_access():
    stack = _stubbed(
        "sesv2",
        "get_account",
        {"ProductionAccessEnabled": False, "SendQuota": {"Max24HourSend": 200.0, "MaxSendRate": 1.0}},
        {},
    )
    finding = doctor.check_ses_production(stack)
    assert finding.status == "action"
    assert "200 a day" in finding.detail


def test_an_ses_send_rate_below_the_notice_rate_needs_action():
    stack = _stubbed(
        "sesv2",
        "get_account",
        {"ProductionAccessEnabled": True, "SendQuota": {"Max24HourSend": 50000.0, "MaxSendRate": 10.0}},
        {},
    )
    finding = doctor.check_ses_production(stack)
    assert finding.status == "action"
    assert "notices are paced at 14/s" in finding.detail


def test_an_sms_sandbox_needs_action():
    stack = _stubbed("sns", "get_sms_sandbox_account_status", {"IsInSandbox": True}, {})
    assert doctor.check_sms_sandbox(stack).status == "action"


def test_a_deployed_stack_is_found_through_cloudformation_by_its_name(stack_file, capsys, monkeypatch):
    # The stand-in's moto holds the CloudFormation stack provisioning created, as AWS would.
    monkeypatch.setenv("AWS_ENDPOINT_URL", json.loads(stack_file.read_text())["endpoint_url"])
    code = cli.main(["--stack-name", "privacydesk-local", "--region", REGION, "doctor", "--json"])
    report = json.loads(capsys.readouterr().out)
    findings = {finding["check"]: finding for finding in report["findings"]}
    assert report["stack"] == "privacydesk-local"
    assert findings["receipt-rule-set"]["status"] == "ok"
    assert findings["ttl-streams"]["status"] == "ok", "the stream ARN is a parameter of the deployed stack"
    assert findings["dpo-alarm-subscription"]["status"] == "ok"
    assert code == 1  # the example.com parameters
