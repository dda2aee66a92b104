"""Which IAM action(s) on which resource ARN(s) an AWS API call needs, as AWS authorises it.

Only the services PrivacyDesk calls are mapped precisely. Anything else needs
`<signing prefix>:<Operation>` on "*": a call this module does not understand fails closed
(only a grant on "*" allows it), so a new kind of call is noticed rather than waved through.
Sources: the Service Authorization Reference of each service (actions, resource types).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse


@dataclass(frozen=True)
class Need:
    """One authorisation AWS makes for a call: may the caller do `action` on `resource`."""

    action: str
    resource: str


@dataclass(frozen=True)
class Place:
    partition: str
    region: str
    account: str

    def arn(self, service: str, rest: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.account if account else ''}:{rest}"
        )


# DynamoDB operations that act on one table (or one of its indexes).
_DYNAMODB_TABLE_OPERATIONS = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "DescribeTable",
    "DescribeTimeToLive",
    "UpdateTimeToLive",
    "UpdateTable",
    "DeleteTable",
    "CreateTable",
    "DescribeContinuousBackups",
}
_TRANSACT_ACTIONS = {
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "Get": "dynamodb:GetItem",
}
# SQS: one action per API, the batch forms authorised as their single form.
_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
# S3 operations whose action is not s3:<Operation>, object-level unless listed in _S3_BUCKET_LEVEL.
_S3_ACTIONS = {
    "HeadObject": "s3:GetObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "ListParts": "s3:ListMultipartUploadParts",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "HeadBucket": "s3:ListBucket",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "PutBucketVersioning": "s3:PutBucketVersioning",
    "GetBucketLocation": "s3:GetBucketLocation",
}
_S3_BUCKET_LEVEL = {
    "ListObjects",
    "ListObjectsV2",
    "ListObjectVersions",
    "ListMultipartUploads",
    "HeadBucket",
    "GetBucketVersioning",
    "PutBucketVersioning",
    "GetBucketLocation",
    "CreateBucket",
    "DeleteBucket",
    "PutBucketPolicy",
    "GetBucketPolicy",
}


def needs(service: str, operation: str, params: dict[str, Any], place: Place, prefix: str) -> list[Need]:
    """What AWS checks before it runs `service`'s `operation` with `params` (API parameters).

    `service` is botocore's hyphenized service id, `prefix` the service's IAM prefix (its signing
    name: "dynamodb", "ses" for sesv2, "events", ...).
    """
    mapper = _MAPPERS.get(service)
    if mapper is not None:
        mapped = mapper(operation, params, place)
        if mapped is not None:
            return mapped
    if service == "sts" and operation == "GetCallerIdentity":
        return []  # no permission is needed to ask who one is
    return [Need(f"{prefix}:{operation}", "*")]


def _dynamodb(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    def table(name: str, index: str | None = None) -> str:
        name = name.split(":table/", 1)[1] if name.startswith("arn:") else name
        return place.arn("dynamodb", f"table/{name}" + (f"/index/{index}" if index else ""))

    if operation in _DYNAMODB_TABLE_OPERATIONS and "TableName" in params:
        return [Need(f"dynamodb:{operation}", table(params["TableName"], params.get("IndexName")))]
    if operation == "TransactWriteItems" or operation == "TransactGetItems":
        found: list[Need] = []
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                found.append(Need(_TRANSACT_ACTIONS[kind], table(body["TableName"])))
        return _unique(found)
    if operation in ("BatchWriteItem", "BatchGetItem"):
        return [Need(f"dynamodb:{operation}", table(name)) for name in params.get("RequestItems", {})]
    if operation in ("ListTables", "DescribeLimits", "DescribeEndpoints"):
        return [Need(f"dynamodb:{operation}", "*")]
    return None


def _dynamodb_streams(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    if "StreamArn" in params:
        return [Need(f"dynamodb:{operation}", params["StreamArn"])]
    if operation == "GetRecords" and "ShardIterator" in params:
        return [Need("dynamodb:GetRecords", "*")]  # the iterator hides the stream; treated as any stream
    if operation == "ListStreams":
        return [Need("dynamodb:ListStreams", "*")]
    return None


def _s3(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    bucket = params.get("Bucket")
    if not bucket:
        return [Need(f"s3:{operation}", "*")] if operation == "ListBuckets" else None
    bucket_arn = f"arn:{place.partition}:s3:::{bucket}"
    if operation == "DeleteObjects":
        return _unique(
            Need(
                "s3:DeleteObjectVersion" if item.get("VersionId") else "s3:DeleteObject", f"{bucket_arn}/{item['Key']}"
            )
            for item in params.get("Delete", {}).get("Objects", [])
        )
    if operation == "CopyObject":
        source = params["CopySource"]
        source_path = (
            f"{source['Bucket']}/{source['Key']}" if isinstance(source, dict) else str(source).split("?")[0].lstrip("/")
        )
        return [
            Need("s3:PutObject", f"{bucket_arn}/{params['Key']}"),
            Need("s3:GetObject", f"arn:{place.partition}:s3:::{source_path}"),
        ]
    action = _S3_ACTIONS.get(operation, f"s3:{operation}")
    if operation in ("GetObject", "HeadObject", "DeleteObject") and params.get("VersionId"):
        action = f"s3:{'Get' if operation != 'DeleteObject' else 'Delete'}ObjectVersion"
    if operation in _S3_BUCKET_LEVEL or "Key" not in params:
        return [Need(action, bucket_arn)]
    return [Need(action, f"{bucket_arn}/{params['Key']}")]


def _sqs(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    action = f"sqs:{_SQS_BATCH.get(operation, operation)}"
    if "QueueUrl" in params:
        name = urlparse(params["QueueUrl"]).path.rstrip("/").rsplit("/", 1)[-1]
        return [Need(action, place.arn("sqs", name))]
    if "QueueName" in params:
        return [Need(action, place.arn("sqs", params["QueueName"]))]
    if operation == "ListQueues":
        return [Need(action, "*")]
    return None


def _events(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    def bus(name: str | None) -> str:
        name = name or "default"
        return name if name.startswith("arn:") else place.arn("events", f"event-bus/{name}")

    if operation == "PutEvents":
        return _unique(Need("events:PutEvents", bus(entry.get("EventBusName"))) for entry in params.get("Entries", []))
    return None


def _ses(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    """SES (v1 and v2) sends: the sending identity, and the configuration set when one is named.

    The identity is the sender's domain, the identity the stand-in verifies (as an operator does);
    an address-level identity would be authorised the same way, with its own ARN.
    """
    if operation not in ("SendEmail", "SendRawEmail", "SendTemplatedEmail", "SendBulkEmail", "SendBulkTemplatedEmail"):
        return None
    sender = params.get("FromEmailAddress") or params.get("Source") or ""
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    found = [Need(f"ses:{operation}", place.arn("ses", f"identity/{address.rsplit('@', 1)[-1]}"))]
    if params.get("ConfigurationSetName"):
        found.append(Need(f"ses:{operation}", place.arn("ses", f"configuration-set/{params['ConfigurationSetName']}")))
    return found


def _sns(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    if operation == "Publish":
        # A text to a phone number has no resource: AWS authorises it on "*".
        return [Need("sns:Publish", params.get("TopicArn") or params.get("TargetArn") or "*")]
    if operation == "PublishBatch":
        return [Need("sns:Publish", params["TopicArn"])]
    if "TopicArn" in params:
        return [Need(f"sns:{operation}", params["TopicArn"])]
    return None


def _lambda(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    name = params.get("FunctionName")
    if not name:
        return None
    arn = name if name.startswith("arn:") else place.arn("lambda", f"function:{name}")
    action = "lambda:InvokeFunction" if operation in ("Invoke", "InvokeAsync") else f"lambda:{operation}"
    return [Need(action, arn)]


def _scheduler(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    if "Name" in params and "Schedule" in operation:
        group = params.get("GroupName") or "default"
        return [Need(f"scheduler:{operation}", place.arn("scheduler", f"schedule/{group}/{params['Name']}"))]
    return None


def _kms(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    key = params.get("KeyId")
    if not key:
        return None
    arn = key if key.startswith("arn:") else place.arn("kms", key if key.startswith("alias/") else f"key/{key}")
    return [Need(f"kms:{operation}", arn)]


def _sts(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    if operation == "AssumeRole":
        return [Need("sts:AssumeRole", params["RoleArn"])]
    return None


def _secretsmanager(operation: str, params: dict[str, Any], place: Place) -> list[Need] | None:
    secret = params.get("SecretId")
    if not secret:
        return None
    # A secret's ARN ends in "-" and six random characters, which a grant by name covers with a wildcard.
    arn = secret if secret.startswith("arn:") else place.arn("secretsmanager", f"secret:{secret}-??????")
    return [Need(f"secretsmanager:{operation}", arn)]


def _unique(found: Iterable[Need]) -> list[Need]:
    return list(dict.fromkeys(found))


_MAPPERS = {
    "dynamodb": _dynamodb,
    "dynamodb-streams": _dynamodb_streams,
    "s3": _s3,
    "sqs": _sqs,
    "eventbridge": _events,
    "ses": _ses,
    "sesv2": _ses,
    "sns": _sns,
    "lambda": _lambda,
    "scheduler": _scheduler,
    "kms": _kms,
    "sts": _sts,
    "secrets-manager": _secretsmanager,
}
