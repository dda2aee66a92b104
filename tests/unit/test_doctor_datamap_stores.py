"""`privacydesk doctor` names a data-map store that is missing or shaped unlike the data map, an
existing table whose TTL deletions do not reach the TTL accounting function, and an existing store
encrypted with a customer-managed key its parameter does not name."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.existing_stores import table_definition
from privacydesk.datamap.domain.model import load_datamap
from privacydesk.ops.doctor import StackFacts, check_datamap_stores, check_store_keys, check_ttl_streams

pytestmark = pytest.mark.unit

DATAMAP = load_datamap()


class FakeDynamoDb:
    def __init__(self, tables: dict[str, dict[str, Any]]) -> None:
        self.tables = tables

    def describe_table(self, TableName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if TableName not in self.tables:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "DescribeTable")
        return {"Table": self.tables[TableName]}


class FakeS3:
    def __init__(self, encryption: dict[str, Any] | None = None) -> None:
        self.encryption = encryption  # the bucket's default encryption; None: it has none

    def head_bucket(self, Bucket: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        return {}

    def get_bucket_encryption(self, Bucket: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if self.encryption is None:
            error = {"Error": {"Code": "ServerSideEncryptionConfigurationNotFoundError"}}
            raise ClientError(error, "GetBucketEncryption")
        rules = [{"ApplyServerSideEncryptionByDefault": self.encryption}]
        return {"ServerSideEncryptionConfiguration": {"Rules": rules}}


def _stack(tables: dict[str, dict[str, Any]]) -> StackFacts:
    physical = {s.location.resource: f"stack-{s.name}" for s in DATAMAP.stores if s.location.resource}
    parameters = {s.location.parameter: f"company-{s.name}" for s in DATAMAP.stores if s.location.parameter}
    clients: dict[str, Any] = {"dynamodb": FakeDynamoDb(tables), "s3": FakeS3()}
    return StackFacts("privacydesk", "ap-southeast-1", parameters, physical, clients.__getitem__)


def _as_created(name_of: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {name: table_definition(DATAMAP.store(store), name) for store, name in name_of.items()}


def _names() -> dict[str, str]:
    return {
        s.name: (f"stack-{s.name}" if s.location.resource else f"company-{s.name}")
        for s in DATAMAP.stores
        if s.kind == "dynamodb"
    }


def test_stores_keyed_and_indexed_as_the_data_map_says_pass():
    finding = check_datamap_stores(_stack(_as_created(_names())))
    assert finding.status == "ok"


def test_an_existing_table_without_its_lookup_index_is_named():
    tables = _as_created(_names())
    tickets = tables["company-support_tickets"]
    tickets["GlobalSecondaryIndexes"] = [i for i in tickets["GlobalSecondaryIndexes"] if i["IndexName"] != "by_email"]
    finding = check_datamap_stores(_stack(tables))
    assert finding.status == "action"
    assert finding.detail == (
        "support_tickets: table company-support_tickets: the email lookup's index by_email does not exist"
    )


def test_a_missing_existing_table_is_named():
    tables = _as_created({k: v for k, v in _names().items() if k != "support_tickets"})
    finding = check_datamap_stores(_stack(tables))
    assert finding.detail == "support_tickets: company-support_tickets does not exist"


# ------------------------------------------------------------- a stack deployed with the services data map
class FakeSecrets:
    def __init__(self, existing: set[str]) -> None:
        self.existing = existing

    def describe_secret(self, SecretId: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if SecretId not in self.existing:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "DescribeSecret")
        return {"ARN": SecretId}


def _services_stack(url: str, secrets: set[str]) -> StackFacts:
    stack = _stack(_as_created(_names()))
    parameters = {**stack.parameters, "DataMapFile": "datamap.services.yaml", "BillingServiceUrl": url}
    physical = {**stack.physical, "BillingServiceSigningSecret": "arn:secret:billing"}
    clients: dict[str, Any] = {"dynamodb": FakeDynamoDb(_as_created(_names())), "s3": FakeS3()}
    clients["secretsmanager"] = FakeSecrets(secrets)
    return StackFacts("privacydesk", "ap-southeast-1", parameters, physical, clients.__getitem__)


def test_a_webhook_store_with_its_url_and_keys_passes():
    finding = check_datamap_stores(_services_stack("https://billing.example.com", {"arn:secret:billing"}))
    assert finding.status == "ok", finding.detail


def test_a_webhook_store_without_its_service_url_is_named():
    finding = check_datamap_stores(_services_stack("", {"arn:secret:billing"}))
    assert finding.detail == "billing_service: BillingServiceUrl is empty (the base URL of its service)"


def test_a_webhook_store_whose_signing_secret_is_gone_is_named():
    finding = check_datamap_stores(_services_stack("https://billing.example.com", set()))
    assert finding.detail == "billing_service: its signing-key secret arn:secret:billing does not exist"


def test_a_stack_with_the_default_data_map_is_not_asked_for_a_webhook_service():
    assert check_datamap_stores(_stack(_as_created(_names()))).status == "ok"


# ------------------------------------------------------------- an existing table's TTL stream
TICKETS_STREAM = "arn:aws:dynamodb:ap-southeast-1:123456789012:table/company-support_tickets/stream/2026-12-01T00:00"


def _streaming_stack(stream_parameter: str, view: str = "NEW_AND_OLD_IMAGES") -> StackFacts:
    """A stack whose existing tickets table streams `view` images as TICKETS_STREAM."""
    tables = _as_created(_names())
    tables["company-support_tickets"].update(
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view}, LatestStreamArn=TICKETS_STREAM
    )
    stack = _stack(tables)
    stack.parameters["SupportTicketsTableStreamArn"] = stream_parameter
    return stack


def test_an_existing_table_whose_stream_is_given_passes():
    finding = check_ttl_streams(_streaming_stack(TICKETS_STREAM))
    assert finding.status == "ok", finding.detail


def test_an_existing_table_without_its_stream_arn_is_named_with_how_to_pass_it():
    finding = check_ttl_streams(_streaming_stack(""))
    assert finding.status == "action"
    assert finding.detail == (
        "support_tickets: SupportTicketsTableStreamArn is empty, so its TTL deletions are not audited"
    )
    assert "--parameter-overrides SupportTicketsTableStreamArn=" in finding.action
    assert "list-streams" in finding.action


def test_an_existing_tables_stream_without_old_images_is_named():
    finding = check_ttl_streams(_streaming_stack(TICKETS_STREAM, view="KEYS_ONLY"))
    assert finding.detail == (
        "support_tickets: table company-support_tickets has no stream with old images (its stream: KEYS_ONLY)"
    )


def test_a_stream_arn_that_is_not_the_tables_current_stream_is_named():
    finding = check_ttl_streams(_streaming_stack(TICKETS_STREAM.replace("2026-12-01", "2025-01-01")))
    assert finding.detail == (
        "support_tickets: SupportTicketsTableStreamArn is not the current stream of table company-support_tickets"
    )


# ------------------------------------------------------------- an existing store's own KMS key
TICKETS_KEY = "arn:aws:kms:ap-southeast-1:123456789012:key/1111aaaa-0000-0000-0000-000000000001"
FILES_KEY = "arn:aws:kms:ap-southeast-1:123456789012:key/2222bbbb-0000-0000-0000-000000000002"
AWS_MANAGED = "arn:aws:kms:ap-southeast-1:123456789012:key/3333cccc-0000-0000-0000-000000000003"


class FakeKms:
    """Knows the two customer-managed keys and the AWS-managed aws/dynamodb and aws/s3 key."""

    def describe_key(self, KeyId: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        by_id = {arn.rsplit("/", 1)[1]: arn for arn in (TICKETS_KEY, FILES_KEY, AWS_MANAGED)}
        arn = by_id.get(KeyId, KeyId)
        return {"KeyMetadata": {"Arn": arn, "KeyManager": "AWS" if arn == AWS_MANAGED else "CUSTOMER"}}


def _keyed_stack(table_key: str | None, bucket: dict[str, Any] | None, **parameters: str) -> StackFacts:
    """A stack whose existing tickets table is encrypted with `table_key` (None: an AWS-owned key) and
    whose existing attachments bucket has `bucket` as its default encryption."""
    tables = _as_created(_names())
    if table_key:
        sse = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": table_key}
        tables["company-support_tickets"]["SSEDescription"] = sse
    stack = _stack(tables)
    clients: dict[str, Any] = {"dynamodb": FakeDynamoDb(tables), "s3": FakeS3(bucket), "kms": FakeKms()}
    stack.client = clients.__getitem__
    stack.parameters.update(parameters)
    return stack


def test_stores_with_aws_owned_or_managed_keys_need_no_key_parameter():
    finding = check_store_keys(_keyed_stack(AWS_MANAGED, {"SSEAlgorithm": "aws:kms"}))
    assert finding.status == "ok", finding.detail
    assert check_store_keys(_keyed_stack(None, {"SSEAlgorithm": "AES256"})).status == "ok"
    assert check_store_keys(_keyed_stack(None, None)).status == "ok"


def test_stores_whose_own_keys_are_given_pass():
    given = {"SupportTicketsTableKmsKeyArn": TICKETS_KEY, "SupportAttachmentsBucketKmsKeyArn": FILES_KEY}
    bucket = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": FILES_KEY.rsplit("/", 1)[1]}  # S3 may name it by id
    finding = check_store_keys(_keyed_stack(TICKETS_KEY, bucket, **given))
    assert finding.status == "ok", finding.detail


def test_a_table_with_its_own_key_and_no_key_parameter_is_named_with_the_override_to_pass():
    finding = check_store_keys(_keyed_stack(TICKETS_KEY, None))
    assert finding.status == "action"
    assert finding.detail == (
        f"support_tickets: its table is encrypted with the customer-managed key {TICKETS_KEY}, but "
        "SupportTicketsTableKmsKeyArn is empty, so the functions may not use that key"
    )
    assert f"--parameter-overrides SupportTicketsTableKmsKeyArn={TICKETS_KEY}" in finding.action


def test_a_bucket_encrypted_with_another_key_than_the_one_given_is_named():
    bucket = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": FILES_KEY}
    finding = check_store_keys(_keyed_stack(None, bucket, SupportAttachmentsBucketKmsKeyArn=TICKETS_KEY))
    assert finding.detail == (
        f"support_attachments: its bucket is encrypted with the key {FILES_KEY}, not the "
        "SupportAttachmentsBucketKmsKeyArn given"
    )
    assert f"SupportAttachmentsBucketKmsKeyArn={FILES_KEY}" in finding.action


def test_a_key_parameter_for_a_table_without_a_customer_managed_key_is_named():
    finding = check_store_keys(_keyed_stack(AWS_MANAGED, None, SupportTicketsTableKmsKeyArn=TICKETS_KEY))
    assert finding.detail == (
        "support_tickets: SupportTicketsTableKmsKeyArn names a key, but its table uses no customer-managed one"
    )
    assert 'SupportTicketsTableKmsKeyArn=""' in finding.action
