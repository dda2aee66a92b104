"""Each function calls AWS as its own role (template.yaml after the SAM transform), as on AWS.

local/iam_guard.py checks every call a handler makes; a call the role does not allow fails with
the error AWS sends. These tests take the attacker's and the operator's view: what a role can and
cannot do, seen through real boto3 calls made as that function.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local import iam_guard
from local.iam_actions import Need
from local.iam_policy import evaluate
from local.invoker import LocalContext
from privacydesk.requests.adapters.requests_store import RequestRepository
from privacydesk.requests.domain.model import RequestStatus, RequestType, Subject
from tests.support.email_flows import compose, deliver, register_account
from tests.support.flows import admin, unique_email
from tests.support.harness import Harness, event_file
from tests.support.notices import (
    add_account,
    ledger_entry,
    publish_version,
    published_event,
    send_all,
    take_queued,
    unique,
)
from tests.support.stored_requests import stored

pytestmark = pytest.mark.integration

# Every text goes from the request outbox: verification codes and reminders since issue 16, and a
# reissued export link since it became an outbox item of the audited reissue.
FUNCTIONS_THAT_TEXT = {"RequestOutboxFunction"}


def _client(service: str) -> Any:
    return boto3.client(service, region_name="ap-southeast-1")  # type: ignore[call-overload]


def _table_arn(stack: Harness, logical_id: str) -> str:
    return stack.stack.attributes[logical_id]["Arn"]


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_the_dpo_resolves_a_review_entry_through_the_admin_role(stack: Harness):
    email = unique_email("iam-review")
    register_account(email)
    outcome = deliver(stack, compose(email, "WIN A PRIZE", "Click here to claim."), spam="FAIL")
    entry_id = f"email_{outcome['message_id']}"
    reply = admin(stack, "POST", f"/v1/admin/review/{entry_id}/resolve", {"outcome": "dismissed", "note": "spam"})
    assert reply.status == 200, reply.body
    update = Need("dynamodb:UpdateItem", _table_arn(stack, "ReviewTable"))
    assert any(call.function == "AdminApiFunction" and update in call.needs for call in iam_guard.calls_seen())


def test_a_call_the_role_does_not_allow_fails_with_the_aws_error(stack: Harness):
    with iam_guard.acting_as("PublicApiFunction"), pytest.raises(ClientError) as raised:
        _client("dynamodb").delete_item(
            TableName=stack.physical("ReviewTable"), Key={"entry_id": {"S": "email_anything"}}
        )
    assert _error(raised) == ("AccessDeniedException", 400)
    assert "dynamodb:DeleteItem" in str(raised.value)


def test_the_public_api_cannot_scan_the_requests_table(stack: Harness):
    with iam_guard.acting_as("PublicApiFunction"), pytest.raises(ClientError) as raised:
        _client("dynamodb").scan(TableName=stack.physical("RequestsTable"), Limit=1)
    assert _error(raised) == ("AccessDeniedException", 400)


def test_calls_outside_any_function_are_not_checked(stack: Harness):
    reply = _client("dynamodb").scan(TableName=stack.physical("RequestsTable"), Limit=1)
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("operation", ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"])
def test_no_function_may_rewrite_or_erase_the_audit_trail(stack: Harness, operation: str):
    audit = _table_arn(stack, "AuditTable")
    allowed = [
        fn for fn, statements in iam_guard.statements().items() if evaluate(statements, Need(operation, audit)).allowed
    ]
    assert allowed == []


def test_no_function_may_publish_to_the_dpo_alarm_topic(stack: Harness):
    topic = stack.physical("AlarmTopic")
    for function in iam_guard.statements():
        with iam_guard.acting_as(function), pytest.raises(ClientError) as raised:
            _client("sns").publish(TopicArn=topic, Message="forged alarm")
        assert _error(raised) == ("AuthorizationError", 403), function


def test_only_the_functions_that_send_texts_may_publish_to_a_phone_number(stack: Harness):
    may_text = {
        fn
        for fn, statements in iam_guard.statements().items()
        if evaluate(statements, Need("sns:Publish", "*")).allowed
    }
    assert may_text == FUNCTIONS_THAT_TEXT


def test_email_is_sent_only_from_the_sender_identity(stack: Harness):
    with iam_guard.acting_as("RequestOutboxFunction"), pytest.raises(ClientError) as raised:
        _client("sesv2").send_email(
            FromEmailAddress="ceo@another-domain.example",
            Destination={"ToAddresses": ["someone@example.org"]},
            Content={"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}},
        )
    assert _error(raised) == ("AccessDeniedException", 403)


def test_email_intake_sees_a_missing_raw_message_as_missing(stack: Harness):
    with iam_guard.acting_as("EmailIntakeFunction"), pytest.raises(ClientError) as raised:
        _client("s3").get_object(Bucket=stack.physical("InboundMailBucket"), Key="inbound/never-stored")
    assert _error(raised) == ("NoSuchKey", 404)


def test_a_role_that_may_not_list_the_bucket_is_told_access_denied_for_a_missing_object(stack: Harness):
    with iam_guard.acting_as("PublicApiFunction"), pytest.raises(ClientError) as raised:
        _client("s3").get_object(Bucket=stack.physical("ExportBucket"), Key="exports/never-stored.zip")
    assert _error(raised) == ("AccessDenied", 403)


def test_the_daily_acceptance_job_reads_usage_and_writes_the_ledger_within_its_role(stack: Harness):
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
    from privacydesk.change_notices.adapters.notice_recipients import ApiUsage
    from privacydesk.change_notices.domain.notice_acceptance import record_acceptances
    from privacydesk.datamap.adapters.reference_stores import ApiUsageRecord
    from privacydesk.policy.adapters.policy_store import PolicyRepository

    version, account = unique("2026-iam-accept"), unique("acct-iam")
    add_account(stack, account, f"{account}@example.com")
    effective = publish_version(stack, version, significant=True)
    stack.invoke("NoticeDispatchFunction", published_event(version, True, effective))
    assert send_all(stack, take_queued(stack, version)) == []
    stack.runner.activate("NoticeAcceptanceFunction")
    used_at = effective + timedelta(hours=5)
    ApiUsageRecord(
        account_id=account, usage_id=f"{used_at.isoformat()}#0001", endpoint="/api/v1/sms", at=used_at.isoformat()
    ).save()
    # The handler judges "now"; the job's own logic is called as the function, two days after the change.
    with iam_guard.acting_as("NoticeAcceptanceFunction"):
        reports = record_acceptances(
            effective + timedelta(days=2), catalog=PolicyRepository(), ledger=DeliveryLedger(), usage=ApiUsage()
        )
    (report,) = [r for r in reports if r.version == version]
    assert report.accepted_now >= 1  # this account's; accounts earlier files left may have used the API too
    assert ledger_entry(stack, version, account).accepted_at == used_at


def test_a_dispatch_near_its_timeout_hands_over_through_the_bus_within_its_role(stack: Harness):
    version = unique("2026-iam-continue")
    effective = publish_version(stack, version, significant=True)
    stack.runner.activate("NoticeDispatchFunction")
    out_of_time = LocalContext("privacydesk-local-NoticeDispatchFunction", 512, 0, "arn:aws:lambda:::function:x")
    with iam_guard.acting_as("NoticeDispatchFunction"):
        result = stack.runner.handler("NoticeDispatchFunction")(published_event(version, True, effective), out_of_time)
    assert result["result"] == "continued"
    bus = stack.stack.attributes["EventBus"]["Arn"]
    assert any(
        c.function == "NoticeDispatchFunction" and c.allowed and Need("events:PutEvents", bus) in c.needs
        for c in iam_guard.calls_seen()
    )


def _texts_sent_as(function: str) -> int:
    return sum(
        count
        for call, count in iam_guard.calls_seen().items()
        if call.function == function and call.allowed and Need("sns:Publish", "*") in call.needs
    )


def test_an_expired_phone_only_request_is_texted_from_the_outbox_within_its_role(stack: Harness):
    stack.runner.activate("DeadlineMonitorFunction")
    now = datetime.now(UTC).replace(microsecond=0)
    request = stored(
        RequestType.ACCESS,
        now - timedelta(days=30),
        RequestStatus.PENDING_VERIFICATION,
        email="unused@example.com",
        subject=Subject(phone="+639170000000"),
    )
    texts_before = _texts_sent_as("RequestOutboxFunction")
    event = {**event_file("deadline_monitor/scheduler_hourly.json"), "time": now.isoformat().replace("+00:00", "Z")}
    stack.invoke("DeadlineMonitorFunction", event)
    assert _texts_sent_as("RequestOutboxFunction") == texts_before + 1  # the expiry notice, committed with it
    expired = RequestRepository().get(request.request_id)
    assert expired is not None
    assert expired.status == RequestStatus.EXPIRED
