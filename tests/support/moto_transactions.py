"""moto's TransactWriteItems, rolled back at the cost of the items it touches, not of the table.

moto 5.2 backs up every table a transaction names with `copy.deepcopy` of the whole table (its
items and every stream record ever written) before each TransactWriteItems, to restore it if the
transaction fails. The request store writes every change as a transaction, so late in a test run
(thousands of items and stream records in one table) each transaction cost seconds: the suite's
time grew with what earlier tests left, not with the work. Here the backup is a copy of just the
items the transaction names and the length of each table's stream; a failed transaction restores
those, leaving the table as moto's own rollback would (no partial write, no stream record). Only
the in-process tests' moto (`tests/conftest.py`) uses it.
"""

from __future__ import annotations

import copy
import functools
import types
from typing import Any

_SHARED_TABLE = "_privacydesk_cheap_rollback"


def install() -> None:
    """Make the in-process moto's transaction backup proportional to the transaction (idempotent)."""
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models.table import Table

    backend = dynamodb_models.DynamoDBBackend
    if getattr(backend.transact_write_items, _SHARED_TABLE, False):
        return

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        # moto's own whole-table backup becomes the table itself (restoring it is then a no-op);
        # everything else moto copies (an item it updates) is copied as before.
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    dynamodb_models.copy = types.SimpleNamespace(deepcopy=deepcopy)  # type: ignore[attr-defined]
    original = backend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched = _touched_items(self, transact_items)
        streams = {id(table): (table, len(table.stream_shard.items)) for table, *_ in touched if table.stream_shard}
        try:
            original(self, transact_items)
        except BaseException:
            for table, hash_value, range_value, before in touched:
                _restore(table, hash_value, range_value, before)
            for table, length in streams.values():
                del table.stream_shard.items[length:]
            raise

    setattr(transact_write_items, _SHARED_TABLE, True)
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _touched_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash key, range key, a copy of the item or None) for each item the transaction names."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched = []
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table = backend.tables[op["TableName"]]
            attributes = op["Item"] if op_type == "Put" else op["Key"]
            hash_value = DynamoType(attributes[table.hash_key_attr])
            range_value = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
            before = copy.deepcopy(table.get_item(hash_value, range_value))
        except Exception:  # noqa: BLE001, S112 - a malformed entry: moto refuses it before writing it
            continue
        touched.append((table, hash_value, range_value, before))
    return touched


def _restore(table: Any, hash_value: Any, range_value: Any, before: Any) -> None:
    if range_value is not None:
        if before is None:
            table.items[hash_value].pop(range_value, None)
        else:
            table.items[hash_value][range_value] = before
    elif before is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = before
