"""The ports fulfilment depends on (beyond the data map's store connectors and the subjects' lookups).
Adapters implement them; tests may fake them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Protocol

from privacydesk.datamap.domain.model import DataMap, Store
from privacydesk.datamap.domain.ports import StoreConnector
from privacydesk.fulfilment.domain.export_links import ExportGrantStore
from privacydesk.requests.domain.ports import RequestServices
from privacydesk.subjects.domain.ports import AccountLookup, HoldLookup, ObjectionStore

if TYPE_CHECKING:
    from privacydesk.fulfilment.domain.pending_steps import ExternalConnector


class ExportTarget(Protocol):
    bucket: str

    def writer(self, key: str, content_type: str) -> IO[bytes]: ...
    def remove(self, key: str) -> int: ...


@dataclass
class FulfilmentServices:
    requests: RequestServices
    datamap: DataMap
    connector: Callable[[Store], StoreConnector]
    accounts: AccountLookup
    holds: HoldLookup
    objections: ObjectionStore
    exports: ExportTarget
    export_links: ExportGrantStore  # the emailed download secrets (fulfilment.domain.export_links)
    export_link_days: int = 7
    # Stores of kind webhook/manual, and the files a DPO attached to a manual task.
    external: Callable[[Store], ExternalConnector] | None = None
    attachment: Callable[[str], IO[bytes]] | None = None
