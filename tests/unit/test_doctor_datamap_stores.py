"""`privacydesk doctor` names a data-map store that is missing or shaped unlike the data map, and an
existing table whose TTL deletions do not reach the TTL accounting function."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.existing_stores import table_definition
from privacydesk.datamap.domain.model import load_datamap
from privacydesk.ops.doctor import StackFacts, check_datamap_stores, check_ttl_streams

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
    def head_bucket(self, Bucket: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        return {}


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
