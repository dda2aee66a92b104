"""Stores the company had before PrivacyDesk, created OUTSIDE template.yaml (as on a real account).

The data map names them by template parameter (`parameter` locations: support tickets, support
attachments); the stand-in creates a table and a bucket under each parameter's default name, with
plain boto3, so fulfilment, retention and legal holds reach them exactly as they would an existing
store on AWS. A table is made the way the README's "Adding a store" asks of an existing one: its
key and lookup indexes as the data map says, the sparse by_expiry index, TTL on `expires_at`, and a
stream with old images.

The tables are made before the stack (`with_table_streams`, called by local/provision.py), so
that the stand-in can pass each one's stream ARN as its `<parameter>StreamArn`, as an operator does on
AWS: its TTL deletions then reach the TTL accounting function like a created table's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from local import sam_template
from privacydesk.datamap.adapters.locations import name_from_arn
from privacydesk.datamap.domain.model import DEFAULT_DATAMAP, Store, load_datamap, load_datamap_file
from privacydesk.kernel.aws import client

EXPIRY_INDEX = {
    "IndexName": "by_expiry",
    "KeySchema": [
        {"AttributeName": "expiry_bucket", "KeyType": "HASH"},
        {"AttributeName": "expires_at", "KeyType": "RANGE"},
    ],
    "Projection": {"ProjectionType": "KEYS_ONLY"},
}


def table_definition(store: Store, name: str) -> dict[str, Any]:
    """CreateTable parameters for a data-map DynamoDB store, keyed and indexed as the data map says."""
    key_types = ["HASH", "RANGE"][: len(store.key_attributes)]
    attributes = dict.fromkeys(store.key_attributes, "S")
    indexes = [EXPIRY_INDEX]
    for lookup in store.lookups:
        if lookup.index:
            attributes[lookup.attribute] = "S"
            indexes.append(
                {
                    "IndexName": lookup.index,
                    "KeySchema": [{"AttributeName": lookup.attribute, "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            )
    attributes.update({"expiry_bucket": "S", "expires_at": "N"})
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": a, "KeyType": k} for a, k in zip(store.key_attributes, key_types, strict=True)],
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": t} for a, t in attributes.items()],
        "GlobalSecondaryIndexes": indexes,
        # TTL accounting reads the old image of what TTL deleted (README, "Adding a store")
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


def create_table(dynamodb: Any, store: Store, name: str) -> str:
    """The store's table under `name` (if absent, else given a stream if it has none), with TTL on
    `expires_at`. Returns its stream ARN."""
    try:
        dynamodb.create_table(**table_definition(store, name))
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceInUseException":
            raise
    table = dynamodb.describe_table(TableName=name)["Table"]
    if not table.get("LatestStreamArn"):
        stream = table_definition(store, name)["StreamSpecification"]
        table = dynamodb.update_table(TableName=name, StreamSpecification=stream)["TableDescription"]
    return str(table["LatestStreamArn"])


def table_stream_parameters(dynamodb: Any, parameters: Mapping[str, Any]) -> dict[str, str]:
    """Create the existing tables of the chosen data map under the stack's parameter values and return,
    for each with a retention period, `<parameter>StreamArn` -> its stream ARN (the stack's parameters)."""
    datamap = load_datamap_file(str(parameters.get("DataMapFile") or DEFAULT_DATAMAP))
    streams: dict[str, str] = {}
    for store in datamap.located:
        location = store.location
        if store.kind != "dynamodb" or not location.parameter:
            continue
        stream_arn = create_table(dynamodb, store, name_from_arn(str(parameters[location.parameter])))
        if store.audits_ttl:
            streams[location.stream_parameter] = stream_arn
    return streams


def with_table_streams(dynamodb: Any, overrides: Mapping[str, str]) -> dict[str, str]:
    """The stack's parameter overrides plus each existing table's stream ARN (the tables made first,
    under the stack's values of their parameters); an explicit override wins."""
    given = {**sam_template.parameter_defaults(), **overrides}
    return {**table_stream_parameters(dynamodb, given), **overrides}


def create_existing_stores() -> dict[str, str]:
    """Create every `parameter` store of the data map under its parameter's default name, if absent,
    wherever the seed writes. Returns store name -> table or bucket name."""
    dynamodb, s3 = client("dynamodb"), client("s3")
    region = dynamodb.meta.region_name
    defaults = sam_template.parameter_defaults()
    created: dict[str, str] = {}
    for store in load_datamap().located:
        location = store.location
        if not location.parameter:
            continue
        # the stack's value of the parameter (an override) when this process sees the stack, else its default
        name = os.environ.get(location.env) or str(defaults[location.parameter])
        if store.kind == "dynamodb":
            create_table(dynamodb, store, name_from_arn(name))
        elif store.kind == "s3":
            try:
                s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                    raise
        created[store.name] = name
    return created
