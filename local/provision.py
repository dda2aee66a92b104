"""Creates every resource template.yaml declares, on whatever AWS endpoint boto3 points at.

aws-sam-translator turns the SAM template into CloudFormation and moto's CloudFormation
creates it. moto silently drops a few things (TTL, versioning, key policies, HTTP APIs, SES receipt
rules, subscriptions, notifications), so `_apply_what_moto_drops` applies those itself;
the HTTP API is served by local/gateway.py.
Used by `make run` (moto server) and by the integration tests (in-process `mock_aws`).
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
from samtranslator.translator.transform import transform

from local import receipt_rules, sam_template

STACK_NAME = "privacydesk-local"
ARTIFACT_BUCKET = "privacydesk-local-artifacts"
DEFAULT_REGION = "ap-southeast-1"
ACCOUNT_ID = "123456789012"
EXECUTE_API_URL = "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"


class _NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs; offline there are none to ask."""

    def load(self) -> dict[str, str]:
        return {}


@dataclass
class LocalStack:
    region: str
    account: str
    endpoint_url: str | None
    physical: dict[str, str] = field(default_factory=dict)  # logical id -> physical id
    types: dict[str, str] = field(default_factory=dict)  # logical id -> resource type
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    eventbridge_queues: dict[str, str] = field(default_factory=dict)  # "Fn/Event" -> queue URL
    outputs: dict[str, str] = field(default_factory=dict)
    # Where the stand-in serves the HTTP API (local/gateway.py); it stands for the API's execute-api URL.
    api_url: str | None = None

    def resolver(self) -> sam_template.Resolver:
        return sam_template.Resolver(self.physical, self.attributes, self.parameters, self.region, self.account)

    def function_environment(self, logical_id: str, template: Path = sam_template.TEMPLATE_PATH) -> dict[str, str]:
        spec = sam_template.functions(template)[logical_id]
        resolver = self.resolver()
        resolved = {name: resolver.resolve(value) for name, value in spec.environment.items()}
        env = {name: str(value) for name, value in resolved.items() if value is not sam_template.NO_VALUE}
        if self.api_url:
            # moto creates no HTTP API: the API's own URL is wherever the stand-in serves it.
            execute_api_url = resolver.resolve({"Fn::Sub": EXECUTE_API_URL})
            env = {k: self.api_url if v == execute_api_url else v for k, v in env.items()}
        env["AWS_LAMBDA_FUNCTION_NAME"] = f"{STACK_NAME}-{logical_id}"
        return env

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LocalStack:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def unprovisioned_stack(template: Path = sam_template.TEMPLATE_PATH) -> LocalStack:
    """The template's stack with made-up physical names ("privacydesk-local-<LogicalId>"), nothing
    created: each function's environment as it would resolve, for import probes and benchmarks."""
    resources = sam_template.load(template)["Resources"]
    return LocalStack(
        region=DEFAULT_REGION,
        account="123456789012",
        endpoint_url=None,
        physical={name: f"{STACK_NAME}-{name}" for name in resources},
        parameters=sam_template.parameter_defaults(template),
    )


def translated_template(parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The SAM template as CloudFormation, with code locations pointing at a local artifact.

    Function events and event source mappings are left out: the stand-in delivers them itself (see
    local/dispatcher.py, local/streams.py), because moto would otherwise try to run Lambda in Docker.
    """
    template = copy.deepcopy(sam_template.load())
    for logical_id, resource in list(template["Resources"].items()):
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            del template["Resources"][logical_id]
        elif resource["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/code.zip"
            props.pop("Events", None)
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = f"s3://{ARTIFACT_BUCKET}/code.zip"
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    result: dict[str, Any] = transform(template, parameters or {}, _NoManagedPolicies())
    return result


class ParameterError(ValueError):
    """A `--parameter-overrides` entry the template does not accept (as `sam deploy` refuses it)."""


def parse_parameter_overrides(entries: list[str]) -> dict[str, str]:
    """`Key=Value` entries (as `sam deploy --parameter-overrides` takes them, quotes allowed) checked
    against the template's parameters, their AllowedValues and AllowedPattern (the whole value)."""
    declared = sam_template.load().get("Parameters", {})
    overrides: dict[str, str] = {}
    for entry in entries:
        key, separator, value = entry.partition("=")
        key = key.removeprefix("ParameterKey=").strip()
        if not separator or not key:
            raise ParameterError(f"{entry!r}: a parameter override is Key=Value")
        value = value.strip().strip("'\"")
        if key not in declared:
            raise ParameterError(f"{key}: template.yaml has no such parameter")
        allowed = declared[key].get("AllowedValues")
        if allowed is not None and value not in [str(a) for a in allowed]:
            raise ParameterError(f"{key}={value}: allowed values are {', '.join(str(a) for a in allowed)}")
        pattern = declared[key].get("AllowedPattern")
        if pattern is not None and not re.fullmatch(str(pattern), value):
            raise ParameterError(f"{key}={value}: {declared[key].get('ConstraintDescription') or pattern}")
        overrides[key] = value
    return overrides


def provision(
    region: str = DEFAULT_REGION, endpoint_url: str | None = None, parameter_overrides: dict[str, str] | None = None
) -> LocalStack:
    session = boto3.session.Session(region_name=region)

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=endpoint_url)  # type: ignore[call-overload]

    s3 = client("s3")
    s3.create_bucket(Bucket=ARTIFACT_BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_object(Bucket=ARTIFACT_BUCKET, Key="code.zip", Body=_placeholder_zip())

    cloudformation = client("cloudformation")
    overrides = dict(parameter_overrides or {})
    # The stand-in plays the operator of the company's existing tables: made before the stack, each
    # one's stream ARN is passed as its <parameter>StreamArn, as on AWS (an explicit override wins).
    from local.existing_stores import with_table_streams

    overrides = with_table_streams(client("dynamodb"), overrides)
    parameters = {**sam_template.parameter_defaults(), **overrides}
    cloudformation.create_stack(
        StackName=STACK_NAME,
        TemplateBody=json.dumps(translated_template(overrides)),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in overrides.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = LocalStack(region=region, account=ACCOUNT_ID, endpoint_url=endpoint_url, parameters=parameters)
    for resource in cloudformation.describe_stack_resources(StackName=STACK_NAME)["StackResources"]:
        logical_id = resource.get("LogicalResourceId")
        if not logical_id:
            continue
        physical_id = resource.get("PhysicalResourceId")
        if not physical_id and resource["ResourceType"] == "AWS::Events::EventBus":
            # moto reports no physical id for a bus; its Ref is the bus name.
            properties = sam_template.load()["Resources"][logical_id]["Properties"]
            physical_id = stack.resolver().resolve(properties["Name"])
        if not physical_id and resource["ResourceType"] == "AWS::Lambda::LayerVersion":
            # moto reports no physical id for a layer either; its Ref is the version ARN.
            physical_id = next(
                (
                    layer["LatestMatchingVersion"]["LayerVersionArn"]
                    for layer in client("lambda").list_layers()["Layers"]
                    if f"-{logical_id}-" in layer["LayerName"]
                ),
                None,
            )
        if physical_id:
            stack.physical[logical_id] = physical_id
            stack.types[logical_id] = resource["ResourceType"]
    # SAM renames a layer to <LogicalId><content hash>; keep the name the template uses too.
    for logical_id, resource in sam_template.load()["Resources"].items():
        if resource["Type"] == "AWS::Serverless::LayerVersion" and logical_id not in stack.physical:
            for translated, physical_id in list(stack.physical.items()):
                if translated.startswith(logical_id) and stack.types[translated] == "AWS::Lambda::LayerVersion":
                    stack.physical[logical_id] = physical_id
                    stack.types[logical_id] = "AWS::Lambda::LayerVersion"
    description = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
    stack.outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
    _collect_attributes(stack, client)
    _apply_what_moto_drops(stack, client)
    _create_what_moto_skips(stack, client)
    return stack


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Local stand-in: handlers run in-process from functions/.\n")
    return buffer.getvalue()


def _collect_attributes(stack: LocalStack, client: Any) -> None:
    for logical_id, physical_id in stack.physical.items():
        kind = stack.types[logical_id]
        if kind == "AWS::DynamoDB::Table":
            table = client("dynamodb").describe_table(TableName=physical_id)["Table"]
            stack.attributes[logical_id] = {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn", "")}
        elif kind == "AWS::S3::Bucket":
            stack.attributes[logical_id] = {"Arn": f"arn:aws:s3:::{physical_id}"}
        elif kind == "AWS::SQS::Queue":
            arn = client("sqs").get_queue_attributes(QueueUrl=physical_id, AttributeNames=["QueueArn"])
            stack.attributes[logical_id] = {
                "Arn": arn["Attributes"]["QueueArn"],
                "QueueName": physical_id.rsplit("/", 1)[-1],
            }
        elif kind == "AWS::KMS::Key":
            # moto stores a CloudFormation key policy as a dict and then fails DescribeKey; derive the ARN.
            stack.attributes[logical_id] = {"Arn": f"arn:aws:kms:{stack.region}:{stack.account}:key/{physical_id}"}
        elif kind == "AWS::Events::EventBus":
            stack.attributes[logical_id] = {
                "Arn": f"arn:aws:events:{stack.region}:{stack.account}:event-bus/{physical_id}",
                "Name": physical_id,
            }
        elif kind == "AWS::SNS::Topic":
            stack.attributes[logical_id] = {"TopicArn": physical_id}
        elif kind == "AWS::Lambda::Function":
            stack.attributes[logical_id] = {
                "Arn": f"arn:aws:lambda:{stack.region}:{stack.account}:function:{physical_id}"
            }
    for logical_id, physical_id in stack.physical.items():  # after the buses, whose names rules need
        if stack.types[logical_id] == "AWS::Events::Rule":
            props = sam_template.load()["Resources"][logical_id]["Properties"]
            bus = stack.resolver().resolve(props.get("EventBusName", "default"))
            path = f"{bus}/{physical_id}" if bus and bus != "default" else physical_id
            stack.attributes[logical_id] = {"Arn": f"arn:aws:events:{stack.region}:{stack.account}:rule/{path}"}


def _apply_what_moto_drops(stack: LocalStack, client: Any) -> None:
    template = sam_template.load()
    resources = template["Resources"]
    resolver = stack.resolver()
    dynamodb = client("dynamodb")
    s3 = client("s3")
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::DynamoDB::Table" and "TimeToLiveSpecification" in props:
            dynamodb.update_time_to_live(
                TableName=stack.physical[logical_id], TimeToLiveSpecification=props["TimeToLiveSpecification"]
            )
        if resource["Type"] == "AWS::SQS::QueuePolicy":
            # moto's CloudFormation has no queue policies; set them on the queues (moto does not enforce them).
            policy = json.dumps(_resolve_deep(resolver, props["PolicyDocument"]))
            queues = [str(resolver.resolve(queue)) for queue in props["Queues"]]
            for url in queues:
                client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
            stack.physical[logical_id] = ",".join(queues)
            stack.types[logical_id] = resource["Type"]
        if resource["Type"] == "AWS::KMS::Key":
            policy = json.dumps(_resolve_deep(resolver, props["KeyPolicy"]))
            client("kms").put_key_policy(KeyId=stack.physical[logical_id], PolicyName="default", Policy=policy)
        # Bucket policies are not applied: moto ignores IAM conditions, so the TLS-only
        # "Deny unless aws:SecureTransport" statement would deny every call. tests/unit/
        # test_template_security.py checks the template's policies instead.
        if resource["Type"] == "AWS::S3::Bucket":
            bucket = stack.physical[logical_id]
            if "VersioningConfiguration" in props:
                s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=props["VersioningConfiguration"])
    # SES only sends from verified identities; verify the sender's domain, as an operator would.
    sender = str(stack.parameters.get("SenderEmail") or "privacy@example.com")
    client("sesv2").create_email_identity(EmailIdentity=sender.split("@", 1)[1])
    client("ses").verify_domain_identity(Domain=sender.split("@", 1)[1])
    _apply_ses_configuration_sets(stack, client)
    _route_eventbridge_rules(stack, client)
    receipt_rules.apply(stack, client, _resolve_deep)


def _apply_ses_configuration_sets(stack: LocalStack, client: Any) -> None:
    """moto's CloudFormation has no SES configuration sets: create them through SES v2.

    moto has no SES v2 event destinations either (and never publishes SES events), so an event
    destination is only recorded; the tests hand ses_feedback the events in events/ses_feedback/.
    """
    resolver = stack.resolver()
    resources = sam_template.load()["Resources"]
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::SES::ConfigurationSet":
            name = str(resolver.resolve(resource["Properties"]["Name"]))
            client("sesv2").create_configuration_set(ConfigurationSetName=name)
            stack.physical[logical_id], stack.types[logical_id] = name, resource["Type"]
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::SES::ConfigurationSetEventDestination":
            props = resource["Properties"]
            name = f"{resolver.resolve(props['ConfigurationSetName'])}|{props['EventDestination']['Name']}"
            stack.physical[logical_id], stack.types[logical_id] = name, resource["Type"]


def _route_eventbridge_rules(stack: LocalStack, client: Any) -> None:
    """Each EventBridgeRule event of a function gets a rule whose target is a local queue.

    The rule is real (moto matches the pattern); the dispatcher polls the queue and
    invokes the handler with the EventBridge envelope, as Lambda would.
    """
    events = client("events")
    sqs = client("sqs")
    resolver = stack.resolver()
    for spec in sam_template.functions().values():
        for event in spec.events:
            if event.type != "EventBridgeRule":
                continue
            bus = resolver.resolve(event.properties.get("EventBusName", "default"))
            name = f"local-{spec.logical_id}-{event.name}"[:64]
            queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            pattern = _resolve_deep(resolver, event.properties["Pattern"])
            events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
            events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "local", "Arn": queue_arn}])
            stack.eventbridge_queues[f"{spec.logical_id}/{event.name}"] = queue_url


def _resolve_deep(resolver: sam_template.Resolver, value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join"):
            return resolver.resolve(value)
        return {k: _resolve_deep(resolver, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_deep(resolver, v) for v in value]
    return value


def write_stack_file(stack: LocalStack, path: Path, **extra: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**stack.to_json(), **extra}, indent=2, sort_keys=True), encoding="utf-8")


_ALARM_FIELDS = (
    "AlarmDescription",
    "Namespace",
    "MetricName",
    "Dimensions",
    "Statistic",
    "Period",
    "EvaluationPeriods",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "AlarmActions",
    "OKActions",
    "Metrics",
)


def _create_what_moto_skips(stack: LocalStack, client: Any) -> None:
    """Resources moto's CloudFormation does not create but its APIs support: CloudWatch alarms and
    dashboards, SNS subscriptions and topic policies. Created through the APIs, so the stand-in
    holds every resource the template declares (alarms even change state when metrics arrive)."""
    resolver = stack.resolver()
    for logical_id, resource in sam_template.load()["Resources"].items():
        kind = resource["Type"]
        if logical_id in stack.physical:
            continue
        props = _resolve_deep(resolver, resource.get("Properties", {}))
        physical: str | None = None
        if kind == "AWS::CloudWatch::Alarm":
            physical = props.get("AlarmName") or f"{STACK_NAME}-{logical_id}"
            fields = {k: props[k] for k in _ALARM_FIELDS if k in props}
            client("cloudwatch").put_metric_alarm(
                AlarmName=physical, **{**fields, "Threshold": float(props["Threshold"])}
            )
        elif kind == "AWS::CloudWatch::Dashboard":
            physical = props.get("DashboardName") or f"{STACK_NAME}-{logical_id}"
            client("cloudwatch").put_dashboard(DashboardName=physical, DashboardBody=props["DashboardBody"])
        elif kind == "AWS::SNS::Subscription":
            physical = client("sns").subscribe(
                TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"]
            )["SubscriptionArn"]
        elif kind == "AWS::SNS::TopicPolicy":
            for topic in props["Topics"]:
                client("sns").set_topic_attributes(
                    TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(props["PolicyDocument"])
                )
            physical = ",".join(props["Topics"])
        elif kind == "AWS::SecretsManager::Secret" and (
            "Condition" not in resource or resolver.condition(resource["Condition"])
        ):  # [issue 20] the webhook signing keys: generated as CloudFormation would
            physical = _create_secret(client, logical_id, props)
        if physical:
            stack.physical[logical_id] = physical
            stack.types[logical_id] = kind


def _create_secret(client: Any, logical_id: str, props: dict[str, Any]) -> str:
    import secrets

    generate = props.get("GenerateSecretString", {})
    value = json.loads(generate.get("SecretStringTemplate", "{}"))
    if generate.get("GenerateStringKey"):
        value[generate["GenerateStringKey"]] = secrets.token_hex(int(generate.get("PasswordLength", 32)) // 2)
    created = client("secretsmanager").create_secret(
        Name=props.get("Name") or f"{STACK_NAME}-{logical_id}", SecretString=json.dumps(value)
    )
    return str(created["ARN"])
