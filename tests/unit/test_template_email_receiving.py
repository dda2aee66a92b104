"""Static checks of the email-receiving wiring in template.yaml (moto never receives mail)."""

from __future__ import annotations

from typing import Any

import pytest

from local import sam_template

pytestmark = pytest.mark.unit


def resource(name: str) -> dict[str, Any]:
    found: dict[str, Any] = sam_template.load()["Resources"][name]
    return found


def test_receipt_rule_stores_raw_mail_under_inbound_then_invokes_intake_asynchronously():
    rule = resource("InboundRule")["Properties"]["Rule"]
    assert rule["Enabled"] is True
    assert rule["ScanEnabled"] is True  # spam and virus verdicts
    s3, invoke = (action for action in rule["Actions"])
    assert s3["S3Action"]["BucketName"] == {"Ref": "InboundMailBucket"}
    assert s3["S3Action"]["ObjectKeyPrefix"] == "inbound/"
    # No client-side (S3 encryption client) envelope: the bucket's default SSE-KMS encrypts it.
    assert "KmsKeyArn" not in s3["S3Action"]
    assert invoke["LambdaAction"] == {
        "FunctionArn": {"Fn::GetAtt": ["EmailIntakeFunction", "Arn"]},
        "InvocationType": "Event",
    }
    assert resource("InboundRule")["Properties"]["RuleSetName"] == {"Ref": "InboundRuleSet"}


def test_only_this_accounts_ses_may_store_mail_and_invoke_intake():
    statements = resource("InboundMailBucketPolicy")["Properties"]["PolicyDocument"]["Statement"]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "ses.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    permission = resource("EmailIntakeSesPermission")["Properties"]
    assert permission["Principal"] == "ses.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_failed_async_invocations_land_in_an_encrypted_dead_letter_queue():
    props = resource("EmailIntakeFunction")["Properties"]
    assert props["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["EmailIntakeDeadLetterQueue", "Arn"]},
    }
    assert props["EventInvokeConfig"]["MaximumRetryAttempts"] == 2
    assert resource("EmailIntakeDeadLetterQueue")["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": "EmailIntakeLogGroup"}}


def test_intake_reads_only_inbound_mail_and_writes_only_attachments_and_quarantine():
    statements = [
        statement
        for policy in resource("EmailIntakeFunction")["Properties"]["Policies"]
        if "Statement" in policy
        for statement in policy["Statement"]
    ]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["ReadRawMail"]["Action"] == "s3:GetObject"
    assert by_sid["ReadRawMail"]["Resource"] == {"Fn::Sub": "${InboundMailBucket.Arn}/inbound/*"}
    assert by_sid["KeepAttachmentsAndQuarantine"]["Resource"] == [
        {"Fn::Sub": "${InboundMailBucket.Arn}/attachments/*"},
        {"Fn::Sub": "${InboundMailBucket.Arn}/quarantine/*"},
    ]
