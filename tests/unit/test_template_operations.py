"""Static checks of the operations template.yaml promises: every function, dead-letter queue and
deadline is watched by an alarm that reaches the DPO."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local import sam_template

pytestmark = pytest.mark.unit

RESOURCES: dict[str, dict[str, Any]] = sam_template.load()["Resources"]
ALARMS = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
FUNCTIONS = sorted(name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function")


def _dead_letter_queues() -> set[str]:
    """Queues named as a DLQ anywhere: redrive policies, function DLQs, schedule DLQs."""
    found: set[str] = set()

    def visit(node: Any, inside_dlq: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                dlq_key = key in ("DeadLetterQueue", "DeadLetterConfig", "RedrivePolicy", "deadLetterTargetArn")
                if key == "Fn::GetAtt" and inside_dlq:
                    found.add(value[0] if isinstance(value, list) else value.split(".")[0])
                visit(value, inside_dlq or dlq_key)
        elif isinstance(node, list):
            for item in node:
                visit(item, inside_dlq)

    visit(RESOURCES, False)
    return found


def _alarms_on(namespace: str, metric: str, dimension_value: Any) -> list[dict[str, Any]]:
    return [
        a
        for a in ALARMS
        if a["Namespace"] == namespace
        and a["MetricName"] == metric
        and any(d["Value"] == dimension_value for d in a.get("Dimensions", []))
    ]


def _reaches_the_dpo(alarm: dict[str, Any]) -> bool:
    return {"Ref": "AlarmTopic"} in alarm["AlarmActions"]


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_an_errors_and_a_throttles_alarm(function: str, metric: str):
    alarms = _alarms_on("AWS/Lambda", metric, {"Ref": function})
    assert alarms, f"{function} has no {metric} alarm: copy the pair at your issue's marker"
    assert all(_reaches_the_dpo(a) and a["Threshold"] == 0 for a in alarms)


def test_every_dead_letter_queue_alarms_on_its_first_message():
    queues = _dead_letter_queues()
    assert "DeadlineMonitorDeadLetterQueue" in queues
    for queue in sorted(queues):
        alarms = _alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": [queue, "QueueName"]})
        assert alarms, f"dead-letter queue {queue} has no alarm"
        assert all(a["Threshold"] == 0 and a["ComparisonOperator"] == "GreaterThanThreshold" for a in alarms)
        assert all(_reaches_the_dpo(a) for a in alarms)


def test_an_overdue_request_raises_the_alarm():
    (alarm,) = [a for a in ALARMS if a["MetricName"] == "OverdueRequests"]
    assert alarm["Namespace"] == "PrivacyDesk"  # POWERTOOLS_METRICS_NAMESPACE
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert _reaches_the_dpo(alarm)


@pytest.mark.parametrize("metric", ["Reputation.BounceRate", "Reputation.ComplaintRate"])
def test_ses_reputation_is_watched(metric: str):
    (alarm,) = [a for a in ALARMS if a["Namespace"] == "AWS/SES" and a["MetricName"] == metric]
    assert 0 < alarm["Threshold"] < 0.05
    assert _reaches_the_dpo(alarm)


def test_the_alarm_topic_is_encrypted_and_the_dpo_subscribes():
    topic = RESOURCES["AlarmTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key_policy = RESOURCES["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert any(s["Principal"].get("Service") == "cloudwatch.amazonaws.com" for s in key_policy)
    (subscription,) = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::SNS::Subscription"]
    assert subscription == {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "DpoEmail"}}


def test_the_monitor_runs_hourly_with_retries_and_a_dead_letter_queue():
    props = RESOURCES["DeadlineMonitorFunction"]["Properties"]
    schedule = props["Events"]["Hourly"]["Properties"]
    assert props["Events"]["Hourly"]["Type"] == "ScheduleV2"
    assert schedule["ScheduleExpression"] == "rate(1 hour)"
    assert schedule["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert schedule["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadlineMonitorDeadLetterQueue", "Arn"]}}
    assert props["DeadLetterQueue"]["TargetArn"] == {"Fn::GetAtt": ["DeadlineMonitorDeadLetterQueue", "Arn"]}
    assert "<aws.scheduler.scheduled-time>" in str(schedule["Input"])
    assert RESOURCES["DeadlineMonitorDeadLetterQueue"]["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}


def test_the_dashboard_body_is_valid_json_with_every_widget_titled():
    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    dashboard = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    assert all(widget["properties"]["title"] for widget in dashboard["widgets"])
    shown = {metric[1] for widget in dashboard["widgets"] for metric in widget["properties"].get("metrics", [])}
    assert {"OverdueRequests", "DeadlineWarnings", "DeadlineBreaches", "Errors", "Throttles"} <= shown
