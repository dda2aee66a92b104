"""PynamoDB plumbing: every model's table name comes from Settings and can be rebound.

Lambda reads the environment once at cold start. Tests and the local stand-in provision
tables first and then call `bind_tables()` so every model points at the real names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.models import Model

from privacydesk.kernel.settings import MissingSetting, Settings, get_settings

# The table name a model gets when its variable is not set (see _apply); a valid DynamoDB name.
UNSET_TABLE_PREFIX = "unset-variable."

# model class -> Settings attribute that names its table, or a function that finds the name
# (a data-map store's table comes from the variable the data map names: datamap/adapters/reference_stores.py)
_REGISTRY: dict[type[Model], str | Callable[[], str]] = {}


def table(source: str | Callable[[], str]) -> Any:
    """Class decorator: bind a model's Meta.table_name to a Settings field (or to `source()`)."""

    def register(model: type[Model]) -> type[Model]:
        _REGISTRY[model] = source
        _apply(model, get_settings())
        return model

    return register


def _apply(model: type[Model], settings: Settings) -> None:
    source = _REGISTRY[model]
    try:
        model.Meta.table_name = source() if callable(source) else getattr(settings, source)
    except MissingSetting as missing:
        # A module of the shared layer may define a model this function never uses (and is not
        # given the table of). Binding stays lazy-safe: the name says which variable is missing, so
        # a call that does reach it fails on a table no role can touch, naming the variable.
        model.Meta.table_name = f"{UNSET_TABLE_PREFIX}{missing.variable}"
    model.Meta.region = settings.aws_region
    model._connection = None  # drop the cached connection bound to the old name


def bind_tables(settings: Settings | None = None) -> None:
    current = settings or get_settings()
    for model in _REGISTRY:
        _apply(model, current)


def condition_failed(error: PynamoDBException) -> bool:
    """A single write (put, update, delete) was refused by its condition: a real conflict, not an outage."""
    return error.cause_response_code == "ConditionalCheckFailedException"


def transaction_condition_failed(error: TransactWriteError) -> bool:
    """A transaction was refused by one of its conditions (a real conflict), not by throttling."""
    return any(
        reason is not None and reason.code == "ConditionalCheckFailed" for reason in error.cancellation_reasons or []
    )
