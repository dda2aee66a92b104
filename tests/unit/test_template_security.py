"""Static checks of the promises template.yaml makes: encryption, access, retention of logs."""

from __future__ import annotations

from typing import Any

import pytest

from local import sam_template

pytestmark = pytest.mark.unit


def _resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in sam_template.load()["Resources"].items() if r["Type"] == kind}


@pytest.mark.parametrize("name", sorted(_resources("AWS::KMS::Key")))
def test_every_key_rotates(name: str):
    assert _resources("AWS::KMS::Key")[name]["Properties"]["EnableKeyRotation"] is True


@pytest.mark.parametrize("name", sorted(_resources("AWS::DynamoDB::Table")))
def test_every_table_is_on_demand_encrypted_with_our_key_and_recoverable(name: str):
    props = _resources("AWS::DynamoDB::Table")[name]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "DataKey"}}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


@pytest.mark.parametrize("name", sorted(_resources("AWS::S3::Bucket")))
def test_every_bucket_is_private_kms_encrypted_tls_only_and_expires(name: str):
    props = _resources("AWS::S3::Bucket")[name]["Properties"]
    default = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    # S3 delivers server access logs only to SSE-S3 buckets; every other bucket uses our key.
    assert default["SSEAlgorithm"] == ("AES256" if name in _access_log_destinations() else "aws:kms")
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["LifecycleConfiguration"]["Rules"]
    policies = [
        p["Properties"]["PolicyDocument"]
        for p in _resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": name}
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for policy in policies
        for s in policy["Statement"]
    ), f"{name} has no TLS-only bucket policy"


def _access_log_destinations() -> set[str]:
    return {
        props["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
        for props in (r["Properties"] for r in _resources("AWS::S3::Bucket").values())
        if "LoggingConfiguration" in props
    }


@pytest.mark.parametrize("name", sorted(set(_resources("AWS::S3::Bucket")) - _access_log_destinations()))
def test_every_data_bucket_logs_object_access(name: str):
    props = _resources("AWS::S3::Bucket")[name]["Properties"]
    assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"] in _access_log_destinations()


def test_every_function_is_python312_on_arm64_with_a_retained_log_group():
    globals_ = sam_template.load()["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.12"
    # arm64 unless a local build asks for x86_64 (tests/unit/test_template_local_switches.py).
    assert globals_["Architectures"] == [{"Ref": "FunctionArchitecture"}]
    assert sam_template.parameter_defaults()["FunctionArchitecture"] == "arm64"
    log_groups = _resources("AWS::Logs::LogGroup")
    for name, function in _resources("AWS::Serverless::Function").items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert "RetentionInDays" in log_groups[group]["Properties"], name


def test_the_http_api_is_throttled_and_logged():
    (api,) = _resources("AWS::Serverless::HttpApi").values()
    settings = api["Properties"]["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] > 0
    assert settings["ThrottlingBurstLimit"] > 0
    assert "DestinationArn" in api["Properties"]["AccessLogSettings"]


def test_admin_routes_require_iam():
    for spec in sam_template.functions().values():
        for event in spec.events:
            if event.type == "HttpApi" and "/admin" in event.properties.get("Path", ""):
                assert event.properties["Auth"]["Authorizer"] == "AWS_IAM", f"{spec.logical_id}/{event.name}"


DATA_KEY_ARN = {"Fn::GetAtt": ["DataKey", "Arn"]}
DATA_KEY_REFS = ({"Ref": "DataKey"}, DATA_KEY_ARN, {"Fn::GetAtt": "DataKey.Arn"})
ASYNC_EVENT_TYPES = {"EventBridgeRule", "Schedule", "ScheduleV2", "S3", "SNS", "CloudWatchEvent", "SES"}


@pytest.mark.parametrize("name", sorted(_resources("AWS::Logs::LogGroup")))
def test_every_log_group_is_encrypted_with_our_key_and_expires(name: str):
    props = _resources("AWS::Logs::LogGroup")[name]["Properties"]
    assert props["KmsKeyId"] in DATA_KEY_REFS
    assert props["RetentionInDays"] == {"Ref": "LogRetentionInDays"}


def _dead_letter_targets() -> set[str]:
    """Queues named as a DLQ by another queue's redrive policy, a function or an event rule."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("deadLetterTargetArn", "DeadLetterConfig", "DeadLetterQueue", "OnFailure"):
                    found.update(_referenced_names(value))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(sam_template.load()["Resources"])
    return found


def _referenced_names(node: Any) -> set[str]:
    if isinstance(node, dict):
        if "Ref" in node:
            return {str(node["Ref"])}
        if "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            return {str(target[0] if isinstance(target, list) else str(target).split(".")[0])}
        return {name for value in node.values() for name in _referenced_names(value)}
    if isinstance(node, list):
        return {name for value in node for name in _referenced_names(value)}
    return set()


@pytest.mark.parametrize("name", sorted(_resources("AWS::SQS::Queue")))
def test_every_queue_is_encrypted_with_our_key_and_has_a_dead_letter_queue(name: str):
    props = _resources("AWS::SQS::Queue")[name].get("Properties", {})
    assert props.get("KmsMasterKeyId") in DATA_KEY_REFS, f"{name} is not encrypted with DataKey"
    assert "RedrivePolicy" in props or name in _dead_letter_targets(), f"{name} has no redrive policy and is no DLQ"


@pytest.mark.parametrize("name", sorted(_resources("AWS::SNS::Topic")))
def test_every_topic_is_encrypted_with_our_key(name: str):
    props = _resources("AWS::SNS::Topic")[name].get("Properties", {})
    # The alarm topic has a key of its own, so CloudWatch may use it without any right on DataKey.
    allowed = (*DATA_KEY_REFS, {"Ref": "AlarmTopicKey"}) if name == "AlarmTopic" else DATA_KEY_REFS
    assert props.get("KmsMasterKeyId") in allowed


@pytest.mark.parametrize(
    "name",
    sorted(
        name
        for name, spec in sam_template.functions().items()
        if any(event.type in ASYNC_EVENT_TYPES for event in spec.events)
    ),
)
def test_every_asynchronously_invoked_function_keeps_its_failures(name: str):
    """Events that fail after Lambda's retries land in a DLQ (function DeadLetterQueue, an
    OnFailure destination, or the rule target's DeadLetterConfig), never nowhere."""
    function = sam_template.load()["Resources"][name]["Properties"]
    events = sam_template.functions()[name].events
    has_function_dlq = "DeadLetterQueue" in function or "OnFailure" in str(function.get("EventInvokeConfig", {}))
    for event in events:
        if event.type in ASYNC_EVENT_TYPES and not has_function_dlq:
            assert "DeadLetterConfig" in event.properties, f"{name}/{event.name} loses failed events"
