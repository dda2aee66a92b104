"""`privacydesk doctor`: what a deployed stack needs that its template cannot set, checked read-only.

Each check reads the account (SES, SNS, Lambda, CloudFormation) and says ok, what to do, or that it
cannot tell here (an API the endpoint lacks, or a permission the caller lacks). Nothing is written.

  privacydesk --stack-name privacydesk-prod --region ap-southeast-1 doctor [--json]
  privacydesk --stack-file .local/stack.json doctor          (the stand-in)

Exit status: 0 when nothing needs action, 1 otherwise ("unknown" alone does not fail).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from privacydesk.kernel.settings import Settings

if TYPE_CHECKING:
    from privacydesk.datamap.domain.model import Store

Status = Literal["ok", "action", "unknown"]
ClientFactory = Callable[[str], Any]

# Lambda keeps this much of the account's concurrency unreserved; reservations must leave it free.
UNRESERVED_MINIMUM = 100
# What ReserveConcurrency=true reserves (template.yaml: public 20, admin 5).
RESERVED_WHEN_ON = 25
PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net")  # reserved: no mail is ever delivered


def _is_placeholder(value: str) -> bool:
    domain = value.rsplit("@", 1)[-1].lower() if "@" in value else ""
    return any(domain == d or domain.endswith(f".{d}") for d in PLACEHOLDER_DOMAINS)


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    detail: str
    action: str = ""


@dataclass
class StackFacts:
    """What the checks need to know about one deployment."""

    name: str
    region: str
    parameters: dict[str, str]
    physical: dict[str, str]  # logical id -> physical id
    client: ClientFactory = field(repr=False)

    @property
    def sender(self) -> str:
        return self.parameters.get("SenderEmail") or Settings().sender_email

    @property
    def sender_domain(self) -> str:
        return self.sender.rsplit("@", 1)[-1]


class NotCheckable(Exception):
    """The endpoint has no such API, or the caller may not use it."""


def _call(operation: str, call: Callable[[], Any], expected_errors: Iterable[str] = ()) -> Any:
    """Run one read; anything but an expected error code means the check cannot be made here."""
    try:
        return call()
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in set(expected_errors):
            raise
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        raise NotCheckable(f"{operation}: {code or status}") from error
    except (BotoCoreError, ResponseParserError) as error:  # e.g. an endpoint's HTML error page
        raise NotCheckable(f"{operation}: {type(error).__name__}") from error


def check_sender_identity(stack: StackFacts) -> Finding:
    sesv2 = stack.client("sesv2")
    for identity in (stack.sender_domain, stack.sender):  # a domain identity also covers receiving
        try:
            found = _call(
                "GetEmailIdentity", partial(sesv2.get_email_identity, EmailIdentity=identity), ["NotFoundException"]
            )
        except ClientError:
            continue
        if found.get("VerifiedForSendingStatus") or found.get("VerificationStatus") == "SUCCESS":
            return Finding("sender-identity", "ok", f"SES identity {identity} is verified for sending")
        return Finding(
            "sender-identity",
            "action",
            f"SES identity {identity} exists but is not verified yet",
            "publish the DKIM CNAME records SES lists for it (aws sesv2 get-email-identity) and wait for verification",
        )
    return Finding(
        "sender-identity",
        "action",
        f"no SES identity for {stack.sender_domain}: nothing can be sent from the SenderEmail address",
        f"aws sesv2 create-email-identity --email-identity {stack.sender_domain}, then publish its DKIM CNAMEs",
    )


def check_receipt_rule_set(stack: StackFacts) -> Finding:
    ours = stack.physical.get("InboundRuleSet") or f"{stack.name}-inbound"  # the template's RuleSetName
    active = _call("DescribeActiveReceiptRuleSet", lambda: stack.client("ses").describe_active_receipt_rule_set())
    name = (active.get("Metadata") or {}).get("Name")
    mx = (
        f"the domain's MX record must point at inbound-smtp.{stack.region}.amazonaws.com "
        f"(check with: dig MX {stack.sender_domain}; DNS is not checked here)"
    )
    if name == ours:
        return Finding("receipt-rule-set", "ok", f"receipt rule set {ours} is active; {mx}")
    now = f"the active one is {name}" if name else "none is active"
    return Finding(
        "receipt-rule-set",
        "action",
        f"emailed requests are not received: receipt rule set {ours} is not active ({now})",
        f"aws ses set-active-receipt-rule-set --rule-set-name {ours} (it deactivates any other rule set "
        f"in the region; deactivate it again before deleting the stack); {mx}",
    )


def _notice_rate(stack: StackFacts) -> int:
    function = stack.physical.get("NoticeSenderFunction")
    if function:
        try:
            config = _call(
                "GetFunctionConfiguration",
                lambda: stack.client("lambda").get_function_configuration(FunctionName=function),
            )
            return int((config.get("Environment") or {}).get("Variables", {}).get("NOTICE_MAX_SEND_RATE"))
        except (NotCheckable, TypeError, ValueError):
            pass
    return Settings().notice_max_send_rate


def check_ses_production(stack: StackFacts) -> Finding:
    account = _call("GetAccount", lambda: stack.client("sesv2").get_account())
    rate = _notice_rate(stack)
    quota = account.get("SendQuota") or {}
    max_rate = float(quota.get("MaxSendRate") or 0)
    if not account.get("ProductionAccessEnabled"):
        return Finding(
            "ses-production-access",
            "action",
            f"SES is in the sandbox: mail goes to verified addresses only, {quota.get('Max24HourSend', 200):.0f} a day",
            "request production access (aws sesv2 put-account-details, or the SES console), "
            f"for at least {rate} emails a second",
        )
    if max_rate < rate:
        return Finding(
            "ses-production-access",
            "action",
            f"SES sends {max_rate:g}/s at most; notices are paced at {rate}/s",
            f"ask SES for a send rate of {rate}/s, or lower NOTICE_MAX_SEND_RATE to {max_rate:g}",
        )
    return Finding("ses-production-access", "ok", f"production access; {max_rate:g}/s allowed, notices use {rate}/s")


def check_sms_sandbox(stack: StackFacts) -> Finding:
    status = _call("GetSMSSandboxAccountStatus", lambda: stack.client("sns").get_sms_sandbox_account_status())
    if status.get("IsInSandbox"):
        return Finding(
            "sns-sms-sandbox",
            "action",
            "SNS SMS is in the sandbox: one-time codes reach verified phone numbers only",
            "request to leave the SMS sandbox (SNS console: Text messaging (SMS) > Exit SMS sandbox)",
        )
    return Finding("sns-sms-sandbox", "ok", "SNS SMS is out of the sandbox")


def check_dpo_subscription(stack: StackFacts) -> Finding:
    topic = stack.physical.get("AlarmTopic")
    dpo = stack.parameters.get("DpoEmail") or Settings().dpo_email
    if not topic:
        return Finding("dpo-alarm-subscription", "unknown", "the stack has no AlarmTopic")
    sns = stack.client("sns")
    subscriptions = _call("ListSubscriptionsByTopic", lambda: sns.list_subscriptions_by_topic(TopicArn=topic))
    mine = [s for s in subscriptions.get("Subscriptions", []) if s.get("Endpoint", "").lower() == dpo.lower()]
    if not mine:
        return Finding(
            "dpo-alarm-subscription",
            "action",
            "the DPO is not subscribed to the alarm topic: no one hears of an overdue request",
            f"aws sns subscribe --topic-arn {topic} --protocol email --notification-endpoint <DpoEmail>, then confirm",
        )
    if any(s.get("SubscriptionArn") in ("PendingConfirmation", "Deleted") for s in mine):
        return Finding(
            "dpo-alarm-subscription",
            "action",
            "the DPO's alarm subscription is not confirmed yet: alarms are not delivered",
            "the DPO clicks the link in the 'AWS Notification - Subscription Confirmation' email",
        )
    return Finding("dpo-alarm-subscription", "ok", "the DPO's alarm subscription is confirmed")


def check_parameters(stack: StackFacts) -> Finding:
    placeholders = sorted(name for name, value in stack.parameters.items() if _is_placeholder(str(value)))
    if placeholders:
        return Finding(
            "parameters",
            "action",
            f"still at their example.com defaults: {', '.join(placeholders)}",
            "sam deploy --config-env <env> --parameter-overrides "
            + " ".join(f"{name}=<yours>" for name in placeholders),
        )
    return Finding("parameters", "ok", "no parameter is left at an example.com default")


def check_concurrency_quota(stack: StackFacts) -> Finding:
    settings = _call("GetAccountSettings", lambda: stack.client("lambda").get_account_settings())
    limit = int((settings.get("AccountLimit") or {}).get("ConcurrentExecutions") or 0)
    reserving = str(stack.parameters.get("ReserveConcurrency", "false")).lower() == "true"
    needed = UNRESERVED_MINIMUM + RESERVED_WHEN_ON
    if reserving and limit < needed:
        return Finding(
            "concurrency-quota",
            "action",
            f"ReserveConcurrency=true needs a concurrency quota of {needed}; the account has {limit}",
            "request a higher 'Concurrent executions' quota (Service Quotas, Lambda), or deploy with "
            "ReserveConcurrency=false",
        )
    if reserving:
        return Finding("concurrency-quota", "ok", f"quota {limit} leaves {limit - RESERVED_WHEN_ON} unreserved")
    return Finding("concurrency-quota", "ok", f"nothing reserved; the functions share the account's {limit}")


def _store_problem(stack: StackFacts, store: Store) -> str | None:
    """What is wrong with one data-map store of this deployment, or None."""
    from privacydesk.datamap.adapters.dynamodb_store import shape_problems
    from privacydesk.datamap.adapters.locations import name_from_arn

    location = store.location
    name = stack.physical.get(location.resource or "") or stack.parameters.get(location.parameter or "", "")
    if not name:
        return f"{store.name}: no table or bucket ({location.template_name} is not in the stack)"
    name = name_from_arn(name)
    missing = ["ResourceNotFoundException", "NoSuchBucket", "404"]
    try:
        if store.kind == "dynamodb":
            table = _call("DescribeTable", partial(stack.client("dynamodb").describe_table, TableName=name), missing)
            problems = shape_problems(store, table["Table"])
            return f"{store.name}: table {name}: " + "; ".join(problems) if problems else None
        if store.kind == "s3":
            _call("HeadBucket", partial(stack.client("s3").head_bucket, Bucket=name), missing)
    except ClientError:
        return f"{store.name}: {name} does not exist"
    return None


def _service_problem(stack: StackFacts, store: Store) -> str | None:
    """What is wrong with one webhook store's wiring: its URL parameter and its signing-key secret."""
    from urllib.parse import urlsplit

    service = store.service_location
    url = str(stack.parameters.get(service.url_parameter) or "")
    if not url:
        return f"{store.name}: {service.url_parameter} is empty (the base URL of its service)"
    if urlsplit(url).scheme != "https":
        return f"{store.name}: {service.url_parameter} must be https (identifiers travel in the calls)"
    secret = stack.parameters.get(service.secret_parameter) or stack.physical.get(service.secret_resource, "")
    if not secret:
        return f"{store.name}: no signing-key secret ({service.secret_resource} is not in the stack)"
    try:
        _call(
            "DescribeSecret",
            partial(stack.client("secretsmanager").describe_secret, SecretId=secret),
            ["ResourceNotFoundException"],
        )
    except ClientError:
        return f"{store.name}: its signing-key secret {secret} does not exist"
    return None


def check_datamap_stores(stack: StackFacts) -> Finding:
    """Every store of the data map the stack chose (DataMapFile) exists, keyed and indexed as the data
    map says (an existing store named by a parameter is checked the same way), and every webhook store
    has its service URL and its signing-key secret; otherwise its Access and Delete requests fail."""
    from privacydesk.datamap.domain.model import DEFAULT_DATAMAP, load_datamap_file

    datamap = load_datamap_file(str(stack.parameters.get("DataMapFile") or DEFAULT_DATAMAP))
    stores = [s for s in datamap.stores if s.kind in ("dynamodb", "s3")]
    problems = [p for p in (_store_problem(stack, store) for store in stores) if p]
    problems += [p for p in (_service_problem(stack, store) for store in datamap.webhooks) if p]
    stores += datamap.webhooks
    if problems:
        return Finding(
            "datamap-stores",
            "action",
            "; ".join(problems),
            "fix the table or bucket (or the data map and `make datamap-wiring`), then redeploy",
        )
    return Finding(
        "datamap-stores",
        "ok",
        f"{len(stores)} data-map stores exist with the keys and indexes it names (webhook stores: URL and keys)",
    )


def _stream_problem(stack: StackFacts, store: Store) -> str | None:
    """What keeps an existing table's TTL deletions from the TTL accounting function, or None."""
    from privacydesk.datamap.adapters.locations import name_from_arn

    location = store.location
    given = str(stack.parameters.get(location.stream_parameter) or "")
    if not given:
        return f"{store.name}: {location.stream_parameter} is empty, so its TTL deletions are not audited"
    name = name_from_arn(str(stack.parameters.get(location.parameter or "") or ""))
    try:
        describe = partial(stack.client("dynamodb").describe_table, TableName=name)
        table = _call("DescribeTable", describe, ["ResourceNotFoundException"])["Table"]
    except ClientError:
        return None  # no table at all: datamap-stores says so
    view = (table.get("StreamSpecification") or {}).get("StreamViewType")
    if view not in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        return f"{store.name}: table {name} has no stream with old images (its stream: {view or 'none'})"
    if table.get("LatestStreamArn") != given:
        return f"{store.name}: {location.stream_parameter} is not the current stream of table {name}"
    return None


def check_ttl_streams(stack: StackFacts) -> Finding:
    """Every existing table with a retention period streams its TTL deletions to the TTL accounting
    function (its `<parameter>StreamArn` is its current stream, with old images); a table the stack
    creates is wired by the template itself."""
    from privacydesk.datamap.domain.model import DEFAULT_DATAMAP, load_datamap_file

    datamap = load_datamap_file(str(stack.parameters.get("DataMapFile") or DEFAULT_DATAMAP))
    existing = [s for s in datamap.stores if s.audits_ttl and s.location.existing]
    problems = [p for p in (_stream_problem(stack, store) for store in existing) if p]
    if problems:
        names = " ".join(f"{s.location.stream_parameter}=<its stream ARN>" for s in existing)
        return Finding(
            "ttl-streams",
            "action",
            "; ".join(problems),
            "give the table a stream (NEW_AND_OLD_IMAGES or OLD_IMAGE), find its ARN with "
            "`aws dynamodbstreams list-streams --table-name <table>`, then "
            f"sam deploy --parameter-overrides {names}",
        )
    return Finding(
        "ttl-streams",
        "ok",
        f"{len(existing)} existing table(s) stream their TTL deletions to the TTL accounting function",
    )


NO_BUCKET = ("NoSuchBucket", "404")
NO_ENCRYPTION = "ServerSideEncryptionConfigurationNotFoundError"  # a bucket without default encryption


def _store_key(stack: StackFacts, store: Store, given: str) -> str | None:
    """The ARN of the customer-managed key an existing table or bucket is encrypted with ("" for an
    AWS-owned or AWS-managed key), or None when there is no such table or bucket (datamap-stores says).
    The key is described (who manages it, its ARN) only when it is not the one `given`."""
    from privacydesk.datamap.adapters.locations import name_from_arn

    name = name_from_arn(str(stack.parameters.get(store.location.parameter or "") or ""))
    key = ""
    try:
        if store.kind == "dynamodb":
            describe = partial(stack.client("dynamodb").describe_table, TableName=name)
            sse = _call("DescribeTable", describe, ["ResourceNotFoundException"])["Table"].get("SSEDescription") or {}
            key = str(sse.get("KMSMasterKeyArn") or "") if sse.get("SSEType") == "KMS" else ""
        else:
            read = partial(stack.client("s3").get_bucket_encryption, Bucket=name)
            rules = _call("GetBucketEncryption", read, [*NO_BUCKET, NO_ENCRYPTION])["ServerSideEncryptionConfiguration"]
            first_rule: dict[str, Any] = next(iter(rules.get("Rules") or []), {})
            by_default = first_rule.get("ApplyServerSideEncryptionByDefault") or {}
            # aws:kms without a key id is the AWS-managed aws/s3 key; an id may be a key id or an alias
            if str(by_default.get("SSEAlgorithm", "")).startswith("aws:kms"):
                key = str(by_default.get("KMSMasterKeyID") or "")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != NO_ENCRYPTION:
            return None
    if not key or key == given:
        return key
    metadata = _call("DescribeKey", partial(stack.client("kms").describe_key, KeyId=key))["KeyMetadata"]
    return str(metadata["Arn"]) if metadata.get("KeyManager") == "CUSTOMER" else ""


def check_store_keys(stack: StackFacts) -> Finding:
    """Every existing store encrypted with a customer-managed KMS key has that key's ARN as its
    `<parameter>KmsKeyArn`: the functions that reach it may use only that key, and without the grant
    every read and write there is refused."""
    from privacydesk.datamap.domain.model import DEFAULT_DATAMAP, load_datamap_file

    datamap = load_datamap_file(str(stack.parameters.get("DataMapFile") or DEFAULT_DATAMAP))
    existing = [s for s in datamap.stores if s.location.existing and s.kind in ("dynamodb", "s3")]
    problems: list[str] = []
    overrides: list[str] = []
    for store in existing:
        parameter = store.location.key_parameter
        given = str(stack.parameters.get(parameter) or "")
        key = _store_key(stack, store, given)
        if key is None or key == given:
            continue
        what = "table" if store.kind == "dynamodb" else "bucket"
        if not key:
            problems.append(f"{store.name}: {parameter} names a key, but its {what} uses no customer-managed one")
        elif not given:
            problems.append(
                f"{store.name}: its {what} is encrypted with the customer-managed key {key}, but {parameter} "
                "is empty, so the functions may not use that key"
            )
        else:
            problems.append(f"{store.name}: its {what} is encrypted with the key {key}, not the {parameter} given")
        overrides.append(f'{parameter}="{key}"' if not key else f"{parameter}={key}")
    if problems:
        return Finding(
            "store-keys",
            "action",
            "; ".join(problems),
            f"sam deploy --parameter-overrides {' '.join(overrides)} (the key's policy must let the "
            "account's IAM principals use it, or name the functions' roles)",
        )
    return Finding(
        "store-keys", "ok", f"{len(existing)} existing store(s): each function's grant is on the key it uses"
    )


CHECKS: tuple[Callable[[StackFacts], Finding], ...] = (
    check_sender_identity,
    check_receipt_rule_set,
    check_ses_production,
    check_sms_sandbox,
    check_dpo_subscription,
    check_parameters,
    check_concurrency_quota,
    check_datamap_stores,
    check_ttl_streams,
    check_store_keys,
)
CHECK_NAMES = (
    "sender-identity",
    "receipt-rule-set",
    "ses-production-access",
    "sns-sms-sandbox",
    "dpo-alarm-subscription",
    "parameters",
    "concurrency-quota",
    "datamap-stores",
    "ttl-streams",
    "store-keys",
)


def diagnose(stack: StackFacts) -> list[Finding]:
    findings = []
    for name, check in zip(CHECK_NAMES, CHECKS, strict=True):
        try:
            findings.append(check(stack))
        except NotCheckable as why:
            findings.append(Finding(name, "unknown", f"not checkable here ({why})", "check it in the AWS console"))
    return findings


def deployed_stack(name: str, region: str | None) -> StackFacts:
    import boto3

    session = boto3.session.Session(region_name=region)
    cloudformation = session.client("cloudformation")
    description = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in description.get("Parameters", [])}
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
        for r in page["StackResourceSummaries"]
        if r.get("PhysicalResourceId")
    }

    def client(service: str) -> Any:
        return session.client(service)  # type: ignore[call-overload]

    return StackFacts(name, session.region_name or "", parameters, physical, client)


def stand_in_stack(path: Path, region: str | None = None) -> StackFacts:
    import boto3

    info = json.loads(path.read_text(encoding="utf-8"))
    credentials = info.get("credentials") or {}
    session = boto3.session.Session(
        region_name=region or info["region"],
        aws_access_key_id=credentials.get("aws_access_key_id"),
        aws_secret_access_key=credentials.get("aws_secret_access_key"),
    )

    once = Config(retries={"total_max_attempts": 1})  # an API the stand-in lacks fails at once

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=info.get("endpoint_url"), config=once)  # type: ignore[call-overload]

    parameters = {k: str(v) for k, v in (info.get("parameters") or {}).items() if v is not None}
    return StackFacts("privacydesk-local", session.region_name or "", parameters, dict(info["physical"]), client)


def render(stack: StackFacts, findings: list[Finding]) -> str:
    marks = {"ok": "ok", "action": "ACTION", "unknown": "unknown"}
    lines = [f"privacydesk doctor: {stack.name} ({stack.region})"]
    for finding in findings:
        lines.append(f"  [{marks[finding.status]:>7}] {finding.check}: {finding.detail}")
        if finding.status != "ok" and finding.action:
            lines.append(f"            do: {finding.action}")
    needed = sum(f.status == "action" for f in findings)
    unknown = sum(f.status == "unknown" for f in findings)
    lines.append(f"{needed} need action, {unknown} could not be checked here.")
    return "\n".join(lines)


def as_json(stack: StackFacts, findings: list[Finding]) -> dict[str, Any]:
    return {
        "stack": stack.name,
        "region": stack.region,
        "needs_action": sum(f.status == "action" for f in findings),
        "findings": [asdict(f) for f in findings],
    }


def exit_code(findings: list[Finding]) -> int:
    return 1 if any(f.status == "action" for f in findings) else 0
