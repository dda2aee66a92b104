"""What a data-map store can answer besides data: a write it could not finish, or a store that is
not where, or not shaped as, the data map says. Pure: the adapters raise these, fulfilment, the
retention sweep and legal holds report them (never as a 500)."""

from __future__ import annotations

from privacydesk.kernel.errors import DomainError


class StoreWriteError(Exception):
    """A store could not finish a write (unprocessed items, a failed delete). The work is retried."""

    def __init__(self, store: str, message: str) -> None:
        super().__init__(f"{store}: {message}")
        self.store = store
        self.detail = message


class StoreMisconfigured(StoreWriteError, DomainError):
    """The store's table or bucket is missing, its variable is not set, or its key schema or a
    lookup's index differs from the data map. Retrying does not help: an operator must fix the
    data map or the deployment. Fulfilment reports it on the request (`failed`, with this detail);
    the admin API answers 409 `store_misconfigured` (a legal hold reaching the store)."""

    code = "store_misconfigured"
    status = 409

    def __init__(self, store: str, message: str) -> None:
        StoreWriteError.__init__(self, store, message)
        self.message = f"{store}: {message}"
