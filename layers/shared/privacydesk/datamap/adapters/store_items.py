"""Generic access to any DynamoDB store of the data map, by its table setting and key attributes.

The retention sweep and legal holds work on every store the data map lists (including ones added
later), so they use the low-level client with the store's own key names rather than one PynamoDB
model per store. Values cross this boundary as plain Python (str, int, list, dict).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from privacydesk.datamap.domain.anonymization import AnonymizationRule, anonymized_item, owner_rule
from privacydesk.datamap.domain.model import Store
from privacydesk.kernel.aws import client
from privacydesk.kernel.batch_writes import delete_keys
from privacydesk.kernel.settings import get_settings
from privacydesk.retention.domain.retention_sweep import DeleteOutcome, Page

EXPIRY_INDEX = "by_expiry"
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [to_plain(v) for v in value]
    return value


def from_low_level(item: dict[str, Any]) -> dict[str, Any]:
    return {name: to_plain(_deserializer.deserialize(value)) for name, value in item.items()}


def to_low_level(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def client_error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def write_anonymized(
    table_name: str,
    store: Store,
    item: dict[str, Any],
    rule: AnonymizationRule,
    *,
    expired_by: int | None = None,
) -> bool:
    """Apply `rule` to one item, conditionally; False when the condition refused it (nothing done).

    The one place both retention and Delete requests anonymize. A rekeyed item is deleted under its
    old key and written under its new one in one transaction, so it is never both or neither.
    The condition keeps it safe to repeat: an item already gone (TTL, a concurrent run) is not
    recreated, and with `expired_by` one whose expiry moved meanwhile (a hold) is left alone.
    """
    key = to_low_level({name: item[name] for name in store.key_attributes})
    names = {"#k": store.key_attributes[0]}
    values: dict[str, Any] = {}
    condition = "attribute_exists(#k)"
    if expired_by is not None:
        names["#ttl"] = "expires_at"
        values[":t"] = {"N": str(expired_by)}
        condition += " AND #ttl <= :t"
    guard: dict[str, Any] = {"ConditionExpression": condition, "ExpressionAttributeNames": dict(names)}
    if values:
        guard["ExpressionAttributeValues"] = values
    db = client("dynamodb")
    try:
        if rule.rekey:
            replacement = to_low_level(anonymized_item(store, item, rule))
            db.transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": table_name, "Key": key, **guard}},
                    {
                        "Put": {
                            "TableName": table_name,
                            "Item": replacement,
                            "ConditionExpression": "attribute_not_exists(#k)",
                            "ExpressionAttributeNames": {"#k": store.key_attributes[0]},
                        }
                    },
                ]
            )
            return True
        removed = [name for name in (*rule.remove, "expires_at", "expiry_bucket") if name in item]
        if not removed:
            return False
        guard["ExpressionAttributeNames"].update({f"#r{i}": name for i, name in enumerate(removed)})
        db.update_item(
            TableName=table_name,
            Key=key,
            UpdateExpression="REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed))),
            **guard,
        )
        return True
    except ClientError as error:
        code = client_error_code(error)
        if code == "ConditionalCheckFailedException":
            return False
        if code == "TransactionCanceledException" and all(
            reason.get("Code") in ("ConditionalCheckFailed", "None")
            for reason in error.response.get("CancellationReasons", [])
        ):
            return False
        raise


class StoreTable:
    def __init__(self, store: Store) -> None:
        if store.kind != "dynamodb" or not store.table_setting:
            raise ValueError(f"{store.name} is not a DynamoDB store")
        self.store = store
        self.table_name: str = getattr(get_settings(), store.table_setting)
        self.db = client("dynamodb")

    # ------------------------------------------------------------------ keys and subjects
    def key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self.store.key_attributes}

    def subject_items(self, account_id: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(key, item) for every item of the subject, expired or not (holds must see them all)."""
        lookup = self.store.owner_lookup
        if lookup is None:
            return
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": lookup.attribute},
            "ExpressionAttributeValues": {":s": {"S": account_id}},
        }
        if lookup.index:
            params["IndexName"] = lookup.index
        for page in self.db.get_paginator("query").paginate(**params):
            for raw in page.get("Items", []):
                item = from_low_level(raw)
                if lookup.index and not set(self.store.fields) <= set(item):
                    item = self.get(self.key_of(item)) or item  # an index may not project every field
                yield self.key_of(item), item

    def get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        raw = self.db.get_item(TableName=self.table_name, Key=to_low_level(key), ConsistentRead=True).get("Item")
        return from_low_level(raw) if raw else None

    def get_many(self, keys: list[dict[str, Any]], attributes: list[str]) -> tuple[list[dict[str, Any]], int]:
        """BatchGetItem (100 keys a call, unprocessed keys retried); returns (items, calls)."""
        names = {f"#a{i}": name for i, name in enumerate(sorted(set(attributes) | set(self.store.key_attributes)))}
        found: list[dict[str, Any]] = []
        calls = 0
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [to_low_level(k) for k in keys[start : start + 100]],
                    "ProjectionExpression": ", ".join(names),
                    "ExpressionAttributeNames": names,
                }
            }
            for attempt in range(8):
                reply = self.db.batch_get_item(RequestItems=request)
                calls += 1
                found.extend(from_low_level(raw) for raw in reply.get("Responses", {}).get(self.table_name, []))
                request = reply.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05 * (2**attempt) * (0.5 + random.random() / 2))  # noqa: S311 - jitter  # nosec B311
        return found, calls

    # ------------------------------------------------------------------ the expiry index
    def expired_page(self, bucket: str, threshold: int, start_key: str | None, limit: int) -> Page:
        """One page of the sparse by_expiry index: items in `bucket` whose TTL is at or below `threshold`.

        Items are plain dicts of the table key and the index keys (the index is KEYS_ONLY); `next_key`
        is the LastEvaluatedKey as JSON, for a checkpoint.
        """
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": EXPIRY_INDEX,
            "KeyConditionExpression": "expiry_bucket = :b AND expires_at <= :t",
            "ExpressionAttributeValues": {":b": {"S": bucket}, ":t": {"N": str(threshold)}},
            "Limit": limit,
        }
        if start_key:
            params["ExclusiveStartKey"] = json.loads(start_key)
        reply = self.db.query(**params)
        last = reply.get("LastEvaluatedKey")
        return Page([from_low_level(raw) for raw in reply.get("Items", [])], json.dumps(last) if last else None)

    # ------------------------------------------------------------------ writes
    def delete_items(self, keys: list[dict[str, Any]]) -> DeleteOutcome:
        """Batch delete, 25 a call, unprocessed retried; reports the keys still left over."""
        result = delete_keys(self.table_name, [to_low_level(k) for k in keys])
        left = [from_low_level(r["DeleteRequest"]["Key"]) for r in result.unprocessed_requests]
        return DeleteOutcome(deleted=result.written, calls=result.calls, failed_keys=left)

    def anonymize(self, item: dict[str, Any], threshold: int) -> bool:
        """Make an expired item unlinkable (datamap.domain.anonymization): False when it was gone or its
        expiry moved (a hold) meanwhile."""
        return write_anonymized(self.table_name, self.store, item, owner_rule(self.store), expired_by=threshold)

    def set_expiry(self, key: dict[str, Any], fields: dict[str, Any] | None) -> bool:
        """Write expires_at + expiry_bucket on an existing item, or remove both when `fields` is None."""
        names = {"#k": self.store.key_attributes[0], "#ttl": "expires_at", "#bucket": "expiry_bucket"}
        if fields is None:
            return self._update(
                key,
                UpdateExpression="REMOVE #ttl, #bucket",
                ConditionExpression="attribute_exists(#k)",
                ExpressionAttributeNames=names,
            )
        return self._update(
            key,
            UpdateExpression="SET #ttl = :ttl, #bucket = :bucket",
            ConditionExpression="attribute_exists(#k)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":ttl": {"N": str(fields["expires_at"])},
                ":bucket": {"S": str(fields["expiry_bucket"])},
            },
        )

    def move_to_bucket(self, key: dict[str, Any], bucket: str) -> bool:
        """Put an item the sweep failed on under a later bucket, so the next pass retries it."""
        return self._update(
            key,
            UpdateExpression="SET #bucket = :bucket",
            ConditionExpression="attribute_exists(#bucket)",
            ExpressionAttributeNames={"#bucket": "expiry_bucket"},
            ExpressionAttributeValues={":bucket": {"S": bucket}},
        )

    def _update(self, key: dict[str, Any], **params: Any) -> bool:
        try:
            self.db.update_item(TableName=self.table_name, Key=to_low_level(key), **params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True
