"""How an adapter is chosen for a store of the data map: one entry per `kind`.

A new kind of store is one class that implements fulfilment.domain.ports.StoreConnector, taking the
data-map Store in its constructor, and one line here.
"""

from __future__ import annotations

from collections.abc import Callable

from privacydesk.datamap.adapters.dynamodb_store import DynamoDbStore
from privacydesk.datamap.adapters.s3_store import S3PrefixStore
from privacydesk.datamap.domain.model import Store
from privacydesk.datamap.domain.ports import StoreConnector

STORE_ADAPTERS: dict[str, Callable[[Store], StoreConnector]] = {
    "dynamodb": DynamoDbStore,
    "s3": S3PrefixStore,
}


def adapter_for(store: Store) -> StoreConnector:
    """The adapter fulfilment drives this store through (raises StoreMisconfigured if it is unwired)."""
    return STORE_ADAPTERS[store.kind](store)
