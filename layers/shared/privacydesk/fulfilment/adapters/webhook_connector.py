"""A store of kind `webhook`: a company service that implements the webhook contract (README, "Your
own services (webhook contract)"). One signed POST per operation to `<endpoint>/privacydesk/<operation>`:

- 200 + {"status": "done", ...}: finished now (export: "records"; erase: "erased", "kept"; correct:
  "corrected"); 200 + {"status": "failed", "error": "..."}: the service could not do it;
- 202: accepted, the service calls back (POST /v1/connectors/<store>/callbacks, signed the same way)
  and answers the same Idempotency-Key with its result when called again.

Every answer must be signed with a key of the store's key ring. Timeouts, connection errors, 429 and
5xx are retried here with exponential backoff; what is still failing after that raises
ExternalStepError naming the store, which fulfilment audits and its queue retries.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from privacydesk.datamap.adapters.locations import service_endpoint
from privacydesk.datamap.domain.model import Store
from privacydesk.fulfilment.domain.pending_steps import ExternalStepError, StepAnswer
from privacydesk.fulfilment.domain.webhook_signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    KeyRing,
    SignatureRejected,
    sign,
    verify,
)
from privacydesk.kernel.aws import client
from privacydesk.kernel.observability import logger
from privacydesk.kernel.settings import link_base_url, on_reload
from privacydesk.requests.domain.model import PrivacyRequest
from privacydesk.subjects.domain.subjects import SubjectIds

MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 0.5  # 0.5 s, 1 s, ... between attempts
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})  # the stand-in and tests may use plain http
KEY_CACHE_SECONDS = 300.0  # a rotated key is picked up within five minutes
_key_cache: dict[str, tuple[float, KeyRing]] = {}
on_reload(_key_cache.clear)


def key_ring(secret_id: str) -> KeyRing:
    """The store's signing keys from Secrets Manager (cached briefly; never logged)."""
    cached = _key_cache.get(secret_id)
    if cached and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
        return cached[1]
    ring = KeyRing.from_secret_string(client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
    _key_cache[secret_id] = (time.monotonic(), ring)
    return ring


def store_secret_id(store: Store) -> str:
    """The id of the store's own signing keys (each webhook store has its secret: the data map's wiring)."""
    from privacydesk.datamap.adapters.locations import service_secret_id

    return service_secret_id(store)


def callback_url(store: Store) -> str:
    return f"{link_base_url()}/v1/connectors/{store.name}/callbacks"


def contract_body(operation: str, request: PrivacyRequest, ids: SubjectIds, store: Store) -> dict[str, Any]:
    """What the service is told: the request, the operation and the identifiers this request proved."""
    body: dict[str, Any] = {
        "request_id": request.request_id,
        "store": store.name,
        "operation": operation,
        "subject": {
            "reference": ids.ref,
            "account_id": ids.account_id,
            "emails": list(ids.emails),
            "phones": list(ids.phones),
        },
        "callback_url": callback_url(store),
    }
    if operation == "correct":
        body["corrections"] = {name: value for name, value in request.corrections.items() if name in store.fields}
    return body


class WebhookConnector:
    def __init__(
        self,
        store: Store,
        *,
        keys: Callable[[], KeyRing] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.store = store
        self.endpoint = service_endpoint(store)
        self._keys = keys or (lambda: key_ring(store_secret_id(store)))
        self._sleep = sleep
        self._clock = clock
        self.max_attempts = max_attempts

    def call(self, operation: str, request: PrivacyRequest, ids: SubjectIds, key: str) -> StepAnswer:
        if not self.endpoint:
            raise ExternalStepError(self.store.name, "no endpoint is configured")
        parsed = urllib.parse.urlsplit(self.endpoint)
        if parsed.scheme != "https" and parsed.hostname not in LOOPBACK:  # identifiers travel in the body
            raise ExternalStepError(self.store.name, "the endpoint must use https")
        body = json.dumps(contract_body(operation, request, ids, self.store), sort_keys=True).encode()
        status, headers, reply = self._post(f"{self.endpoint}/privacydesk/{operation}", body, key)
        try:
            verify(headers.get(SIGNATURE_HEADER), reply, self._keys(), now_epoch=int(self._clock()))
        except SignatureRejected as error:
            raise ExternalStepError(self.store.name, f"answer refused: {error.code}") from error
        return self._answer(operation, status, reply)

    def _answer(self, operation: str, status: int, reply: bytes) -> StepAnswer:
        if status == 202:
            return StepAnswer(done=False)
        try:
            value = json.loads(reply)
        except ValueError as error:
            raise ExternalStepError(self.store.name, "answer is not JSON") from error
        if status != 200 or not isinstance(value, dict):
            raise ExternalStepError(self.store.name, f"answered HTTP {status}")
        if value.get("status") == "partial":  # like a store's unprocessed items: retried, never taken as done
            raise ExternalStepError(self.store.name, f"partial result: {str(value.get('error', ''))[:200]}")
        if value.get("status") != "done":
            raise ExternalStepError(self.store.name, f"reported a failure: {str(value.get('error', ''))[:200]}")
        if operation == "export":
            records = [r for r in value.get("records", []) if isinstance(r, dict)]
            return StepAnswer(done=True, result={"records": len(records)}, records=records)
        counts = {k: int(value.get(k, 0)) for k in ("erased", "kept", "corrected", "found") if k in value}
        if value.get("kept_reason"):
            counts["kept_reason"] = str(value["kept_reason"])[:300]  # type: ignore[assignment]
        return StepAnswer(done=True, result=counts)

    def _post(self, url: str, body: bytes, key: str) -> tuple[int, dict[str, str], bytes]:
        """One signed POST, retried with backoff on timeouts, connection errors, 429 and 5xx."""
        reason = ""
        for attempt in range(1, self.max_attempts + 1):
            headers = {
                "Content-Type": "application/json",
                IDEMPOTENCY_HEADER: key,
                SIGNATURE_HEADER: sign(body, self._keys().current, now_epoch=int(self._clock())),
            }
            call = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - https in the data map
            try:
                with urllib.request.urlopen(call, timeout=self.store.timeout_seconds) as answer:  # noqa: S310  # nosec B310 - https checked above (http only on loopback)
                    return int(answer.status), dict(answer.headers.items()), answer.read()
            except urllib.error.HTTPError as error:
                if error.code not in RETRYABLE_STATUS:
                    return int(error.code), dict(error.headers.items()), error.read()
                reason = f"answered HTTP {error.code}"
            except TimeoutError:
                reason = f"timed out after {self.store.timeout_seconds:g} s"
            except urllib.error.URLError as error:
                timed_out = isinstance(error.reason, TimeoutError)
                reason = f"timed out after {self.store.timeout_seconds:g} s" if timed_out else "could not be reached"
            logger.warning(
                "webhook call failed", extra={"store": self.store.name, "attempt": attempt, "reason": reason}
            )
            if attempt < self.max_attempts:
                self._sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise ExternalStepError(self.store.name, f"{reason} ({self.max_attempts} attempts)")
