"""The one adapter for a DynamoDB store of the data map: fulfilment, the retention sweep and legal
holds all reach a table through it, whether the template created the table or it already existed.

- Where: the table name comes from the variable the store's `table` location names (locations.py).
- Shape: on first use in a container the table's key schema and every lookup's index are checked
  against the data map; a difference raises StoreMisconfigured (a clear report, never a 500).
- Reads: Queries on the table or a lookup's index, never Scans; items an index projects only by key
  are completed with BatchGetItem (100 keys a call, unprocessed keys retried with backoff).
- Expired: one definition, the retention schedule's (`datamap.adapters.retention_fields.is_expired`). Exports
  skip expired items (DynamoDB deletes lazily); erasure, holds and the verification pass see them.
- Writes: BatchWriteItem for deletes, conditional updates for corrections and expiry switches, and
  `write_anonymized`, the one place the sweep and Delete requests anonymize.

Items cross this boundary as plain Python (str, int, float, list, dict).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from privacydesk.datamap.adapters.locations import physical_name
from privacydesk.datamap.adapters.retention_fields import is_expired
from privacydesk.datamap.domain.anonymization import AnonymizationRule, anonymized_item, owner_rule
from privacydesk.datamap.domain.model import Store, SubjectLookup
from privacydesk.datamap.domain.ports import DeleteOutcome, Page
from privacydesk.datamap.domain.store_errors import StoreMisconfigured, StoreWriteError
from privacydesk.kernel.aws import client
from privacydesk.kernel.batch_writes import backoff_delay, delete_keys

TTL_ATTRIBUTE = "expires_at"
BUCKET_ATTRIBUTE = "expiry_bucket"
EXPIRY_INDEX = "by_expiry"
PAGE_SIZE = 500
BATCH_GET_LIMIT = 100  # BatchGetItem's limit
MAX_READ_ATTEMPTS = 8  # as many as batch_writes gives unprocessed writes
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_shape_checked: set[str] = set()  # tables whose schema matched the data map, in this container


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


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def batch_get(
    table_name: str,
    keys: list[dict[str, Any]],
    *,
    attributes: list[str] | None = None,
    consistent: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[dict[str, Any]], int, int]:
    """BatchGetItem, 100 keys a call, unprocessed keys retried with backoff (batch_writes' policy).

    Returns (items found, calls made, keys left unread after the last attempt)."""
    found: list[dict[str, Any]] = []
    calls = left = 0
    options: dict[str, Any] = {"ConsistentRead": consistent}
    if attributes:
        names = {f"#a{i}": name for i, name in enumerate(sorted(set(attributes)))}
        options.update(ProjectionExpression=", ".join(names), ExpressionAttributeNames=names)
    db = client("dynamodb")
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        request: dict[str, Any] = {
            table_name: {"Keys": [to_low_level(k) for k in keys[start : start + BATCH_GET_LIMIT]], **options}
        }
        for attempt in range(MAX_READ_ATTEMPTS):
            reply = db.batch_get_item(RequestItems=request)
            calls += 1
            found.extend(from_low_level(raw) for raw in reply.get("Responses", {}).get(table_name, []))
            request = reply.get("UnprocessedKeys") or {}
            if not request:
                break
            sleep(backoff_delay(attempt))
        if request:
            left += len(request[table_name]["Keys"])
    return found, calls, left


def _transaction_refused_by_condition(error: ClientError) -> bool:
    return error_code(error) == "TransactionCanceledException" and all(
        reason.get("Code") in ("ConditionalCheckFailed", "None")
        for reason in error.response.get("CancellationReasons", [])
    )


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
        names["#ttl"] = TTL_ATTRIBUTE
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
        removed = [name for name in (*rule.remove, TTL_ATTRIBUTE, BUCKET_ATTRIBUTE) if name in item]
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
        if error_code(error) == "ConditionalCheckFailedException" or _transaction_refused_by_condition(error):
            return False
        raise


def shape_problems(store: Store, description: dict[str, Any]) -> list[str]:
    """How a table (DescribeTable's `Table`) differs from what the data map says; [] when it matches."""
    keys = [entry["AttributeName"] for entry in sorted(description.get("KeySchema", []), key=lambda e: e["KeyType"])]
    problems = []
    if keys != store.key_attributes:
        problems.append(f"its key is {keys}, the data map says {store.key_attributes}")
    indexes = {
        index["IndexName"]: next(e["AttributeName"] for e in index["KeySchema"] if e["KeyType"] == "HASH")
        for index in [*description.get("GlobalSecondaryIndexes", []), *description.get("LocalSecondaryIndexes", [])]
    }
    for lookup in store.lookups:
        if lookup.index is None:
            if keys[:1] != [lookup.attribute]:
                problems.append(f"the {lookup.key.value} lookup needs {lookup.attribute} as the partition key")
        elif lookup.index not in indexes:
            problems.append(f"the {lookup.key.value} lookup's index {lookup.index} does not exist")
        elif indexes[lookup.index] != lookup.attribute:
            problems.append(f"index {lookup.index} is keyed by {indexes[lookup.index]}, not {lookup.attribute}")
    return problems


class DynamoDbStore:
    """A DynamoDB table of the data map (fulfilment.domain.ports.StoreConnector,
    datamap.domain.ports.StoreAccess and the legal holds' subject items)."""

    def __init__(self, store: Store) -> None:
        if store.kind != "dynamodb" or store.table is None:
            raise ValueError(f"{store.name} is not a DynamoDB store")
        self.store = store
        self.table_name = physical_name(store)

    def key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self.store.key_attributes}

    # ------------------------------------------------------------------ shape
    def check_shape(self) -> None:
        """Once per table and container: the table exists and is keyed and indexed as the data map says."""
        if self.table_name in _shape_checked:
            return
        try:
            description = client("dynamodb").describe_table(TableName=self.table_name)["Table"]
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                raise StoreMisconfigured(self.store.name, f"table {self.table_name} does not exist") from error
            raise
        problems = shape_problems(self.store, description)
        if problems:
            raise StoreMisconfigured(self.store.name, f"table {self.table_name}: " + "; ".join(problems))
        _shape_checked.add(self.table_name)

    # ------------------------------------------------------------------ reads by subject
    def _query(self, lookup: SubjectLookup, value: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of the subject's whole items (an index that projects keys only is completed by key)."""
        self.check_shape()
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": lookup.attribute},
            "ExpressionAttributeValues": {":s": {"S": value}},
            "Limit": PAGE_SIZE,
        }
        if lookup.index:
            params["IndexName"] = lookup.index
        else:
            params["ConsistentRead"] = True
        for page in client("dynamodb").get_paginator("query").paginate(**params):
            items = [from_low_level(raw) for raw in page.get("Items", [])]
            if lookup.index and items and not self._complete(items[0], lookup):
                items, _, left = batch_get(self.table_name, [self.key_of(item) for item in items])
                if left:
                    raise StoreWriteError(self.store.name, f"{left} keys were left unread after retries")
            if items:
                yield items

    def _complete(self, item: dict[str, Any], lookup: SubjectLookup) -> bool:
        """Does an index item carry the store's fields (ALL projection) or only the keys (KEYS_ONLY:
        the table's and the index's own)?"""
        keys = {*self.store.key_attributes, lookup.attribute}
        return any(name in item for name in self.store.fields if name not in keys)

    def pages(
        self, lookup: SubjectLookup, value: str, *, now_epoch: int, include_expired: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        now = datetime.fromtimestamp(now_epoch, UTC)
        for items in self._query(lookup, value):
            live = items if include_expired else [item for item in items if not is_expired(self.store, item, now)]
            if live:
                yield live

    def subject_items(self, account_id: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(key, item) for every item the account owns, expired or not (holds must see them all)."""
        lookup = self.store.owner_lookup
        if lookup is None:
            return
        for items in self._query(lookup, account_id):
            for item in items:
                yield self.key_of(item), item

    def open(self, item: dict[str, Any]) -> IO[bytes] | None:
        return None  # an item has no file

    # ------------------------------------------------------------------ fulfilment writes
    def delete(self, items: list[dict[str, Any]]) -> int:
        """BatchWriteItem, 25 a call, unprocessed items retried with backoff; leftovers raise."""
        try:
            result = delete_keys(self.table_name, [to_low_level(self.key_of(item)) for item in items])
        except ClientError as error:  # throttled or refused after botocore's retries: name the store
            raise StoreWriteError(self.store.name, error_code(error)) from error
        if result.unprocessed:
            raise StoreWriteError(self.store.name, f"{result.unprocessed} deletes were left unprocessed")
        return result.written

    def anonymize(self, items: list[dict[str, Any]], rule: AnonymizationRule) -> int:
        try:
            return sum(write_anonymized(self.table_name, self.store, item, rule) for item in items)
        except ClientError as error:  # throttled or refused after botocore's retries: name the store
            raise StoreWriteError(self.store.name, error_code(error)) from error

    def assign(self, items: list[dict[str, Any]], values: dict[str, Any]) -> int:
        names = {f"#a{i}": name for i, name in enumerate(values)}
        serialized = {f":a{i}": _serializer.serialize(v) for i, v in enumerate(values.values())}
        expression = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(values)))
        return sum(
            self._update(self.key_of(item), UpdateExpression=expression, names=names, values=serialized)
            for item in items
        )

    def remove_all(self, lookup: SubjectLookup, value: str) -> int:
        return 0  # a table keeps no older versions: its items were deleted one by one

    def versions_left(self, lookup: SubjectLookup, value: str) -> int:
        return 0

    # ------------------------------------------------------------------ the retention sweep
    def expired_page(self, bucket: str, threshold: int, start_key: str | None, limit: int) -> Page:
        """One page of the sparse by_expiry index: items in `bucket` whose TTL is at or below `threshold`.

        Items are plain dicts of the table key and the index keys (the index is KEYS_ONLY); `next_key`
        is the LastEvaluatedKey as JSON, for a checkpoint.
        """
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": EXPIRY_INDEX,
            "KeyConditionExpression": "#bucket = :b AND #ttl <= :t",
            "ExpressionAttributeNames": {"#bucket": BUCKET_ATTRIBUTE, "#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {":b": {"S": bucket}, ":t": {"N": str(threshold)}},
            "Limit": limit,
        }
        if start_key:
            params["ExclusiveStartKey"] = json.loads(start_key)
        reply = client("dynamodb").query(**params)
        last = reply.get("LastEvaluatedKey")
        return Page([from_low_level(raw) for raw in reply.get("Items", [])], json.dumps(last) if last else None)

    def get_many(self, keys: list[dict[str, Any]], attributes: list[str]) -> tuple[list[dict[str, Any]], int]:
        """The named attributes of these items (keys always included); returns (items, calls).
        A key still unread after the retries is left out: the sweep meets it again next run."""
        wanted = [*attributes, *self.store.key_attributes]
        found, calls, _ = batch_get(self.table_name, keys, attributes=wanted, consistent=False)
        return found, calls

    def delete_items(self, keys: list[dict[str, Any]]) -> DeleteOutcome:
        """Batch delete, 25 a call, unprocessed retried; reports the keys still left over."""
        result = delete_keys(self.table_name, [to_low_level(k) for k in keys])
        left = [from_low_level(r["DeleteRequest"]["Key"]) for r in result.unprocessed_requests]
        return DeleteOutcome(deleted=result.written, calls=result.calls, failed_keys=left)

    def anonymize_expired(self, item: dict[str, Any], threshold: int) -> bool:
        """Make an expired item unlinkable (datamap.domain.anonymization): False when it was gone or its
        expiry moved (a hold) meanwhile."""
        return write_anonymized(self.table_name, self.store, item, owner_rule(self.store), expired_by=threshold)

    # ------------------------------------------------------------------ expiry switches (holds, sweep)
    def set_expiry(self, key: dict[str, Any], fields: dict[str, Any] | None) -> bool:
        """Write expires_at + expiry_bucket on an existing item, or remove both when `fields` is None."""
        names = {"#ttl": TTL_ATTRIBUTE, "#bucket": BUCKET_ATTRIBUTE}
        if fields is None:
            return self._update(key, UpdateExpression="REMOVE #ttl, #bucket", names=names)
        values = {":ttl": {"N": str(fields[TTL_ATTRIBUTE])}, ":bucket": {"S": str(fields[BUCKET_ATTRIBUTE])}}
        return self._update(key, UpdateExpression="SET #ttl = :ttl, #bucket = :bucket", names=names, values=values)

    def move_to_bucket(self, key: dict[str, Any], bucket: str) -> bool:
        """Put an item the sweep failed on under a later bucket, so the next pass retries it."""
        return self._update(
            key,
            UpdateExpression="SET #bucket = :bucket",
            names={"#bucket": BUCKET_ATTRIBUTE},
            values={":bucket": {"S": bucket}},
            must_have=BUCKET_ATTRIBUTE,
        )

    def _update(
        self,
        key: dict[str, Any],
        *,
        UpdateExpression: str,  # noqa: N803 - the API's own name
        names: dict[str, str],
        values: dict[str, Any] | None = None,
        must_have: str | None = None,
    ) -> bool:
        """One UpdateItem on an item that exists (`must_have`: on one holding that attribute);
        False when it does not (gone, already anonymized): nothing to change, and nothing recreated."""
        guard = must_have or self.store.key_attributes[0]
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": to_low_level(key),
            "UpdateExpression": UpdateExpression,
            "ConditionExpression": "attribute_exists(#guard)",
            "ExpressionAttributeNames": {**names, "#guard": guard},
        }
        if values:
            params["ExpressionAttributeValues"] = values
        try:
            client("dynamodb").update_item(**params)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True
