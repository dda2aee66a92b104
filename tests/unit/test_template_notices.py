"""Static checks of the notice path's wiring in template.yaml."""

from __future__ import annotations

import pytest

from local import sam_template

pytestmark = pytest.mark.unit
RESOURCES = sam_template.load()["Resources"]


def test_notice_queues_are_encrypted_with_our_key_and_the_work_queue_redrives_to_its_dlq():
    for name in ("NoticeSendQueue", "NoticeSendDeadLetterQueue", "NoticeEventsDeadLetterQueue"):
        assert RESOURCES[name]["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}
    redrive = RESOURCES["NoticeSendQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["NoticeSendDeadLetterQueue", "Arn"]}
    sender_timeout = RESOURCES["NoticeSenderFunction"]["Properties"]["Timeout"]
    assert RESOURCES["NoticeSendQueue"]["Properties"]["VisibilityTimeout"] >= 6 * sender_timeout


def test_sender_reports_partial_batch_failures():
    event = RESOURCES["NoticeSenderFunction"]["Properties"]["Events"]["NoticeQueue"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["BatchSize"] <= 10


@pytest.mark.parametrize("name", ["NoticeDispatchFunction", "SesFeedbackFunction", "NoticeAcceptanceFunction"])
def test_asynchronously_invoked_notice_functions_have_a_dead_letter_queue(name: str):
    assert RESOURCES[name]["Properties"]["DeadLetterQueue"]["Type"] == "SQS"


def test_only_significant_changes_reach_the_dispatcher():
    pattern = RESOURCES["NoticeDispatchFunction"]["Properties"]["Events"]["SignificantChange"]["Properties"]["Pattern"]
    assert pattern["detail"] == {"significant": [True]}


def test_notices_are_sent_through_the_configuration_set_that_publishes_ses_events():
    env = RESOURCES["NoticeSenderFunction"]["Properties"]["Environment"]["Variables"]
    assert env["NOTICE_CONFIGURATION_SET"] == {"Ref": "NoticeConfigurationSet"}
    assert int(env["NOTICE_MAX_SEND_RATE"]) > 0
    destination = RESOURCES["NoticeConfigurationSetEvents"]["Properties"]["EventDestination"]
    assert set(destination["MatchingEventTypes"]) >= {"bounce", "complaint", "delivery"}
