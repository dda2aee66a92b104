"""A reference receiver of the webhook contract (README, "Your own services (webhook contract)"): a
small HTTP server on loopback standing in for a company service in front of its own database.

It checks each call's signature and Idempotency-Key, answers signed, and does each operation once
per key however often it is asked. Modes: "sync" (200 + result), "async" (202; `callbacks()` gives
the signed callbacks to deliver, and the same key then answers 200 + result), and the faults
"timeout" (answers too late), "error500", "partial" and "bad_signature" (signed with a key nobody holds).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from privacydesk.fulfilment.domain.webhook_signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    KeyRing,
    SignatureRejected,
    SigningKey,
    sign,
    verify,
)

OPERATIONS = ("find", "export", "correct", "erase")


@dataclass
class Callback:
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class ReceiverState:
    keys: KeyRing
    mode: str = "sync"
    delay_seconds: float = 0.0
    # the service's own data: one list of records per email address
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> answer
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> async call, not yet done
    performed: Counter[str] = field(default_factory=Counter)  # operation -> times actually carried out
    calls: Counter[str] = field(default_factory=Counter)  # operation -> calls received
    refused: list[str] = field(default_factory=list)  # signature codes of calls refused


def _perform(state: ReceiverState, call: dict[str, Any]) -> dict[str, Any]:
    """Carry out an operation on the service's data (once per idempotency key)."""
    operation = call["operation"]
    state.performed[operation] += 1
    found = [r for email in call["subject"]["emails"] for r in state.records.get(email, [])]
    if operation in ("find", "export"):
        return (
            {"status": "done", "records": found} if operation == "export" else {"status": "done", "found": len(found)}
        )
    if operation == "erase":
        for email in call["subject"]["emails"]:
            state.records.pop(email, None)
        return {"status": "done", "erased": len(found), "kept": 0}
    for record in found:
        record.update(call.get("corrections", {}))
    return {"status": "done", "corrected": len(found)}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return  # paths and bodies stay out of the test output

    def _reply(self, status: int, value: dict[str, Any], *, key: SigningKey | None = None) -> None:
        body = json.dumps(value).encode()
        state = self.server.state
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header(SIGNATURE_HEADER, sign(body, key or state.keys.current, now_epoch=int(time.time())))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        operation = self.path.rsplit("/", 1)[-1]
        if operation not in OPERATIONS:
            self._reply(404, {"status": "failed", "error": "unknown operation"})
            return
        try:
            verify(self.headers.get(SIGNATURE_HEADER), body, state.keys, now_epoch=int(time.time()))
        except SignatureRejected as error:
            state.refused.append(error.code)
            self._reply(401, {"status": "failed", "error": error.code})
            return
        call = json.loads(body)
        key = self.headers.get(IDEMPOTENCY_HEADER, "")
        if key != f"{call['request_id']}:{call['store']}:{operation}":
            self._reply(400, {"status": "failed", "error": "idempotency key does not name this call"})
            return
        with self.server.lock:
            state.calls[operation] += 1
            mode = state.mode
        if mode == "timeout":
            time.sleep(state.delay_seconds)
        if mode == "error500":
            self._reply(500, {"status": "failed", "error": "database unavailable"})
            return
        if mode == "partial":
            self._reply(200, {"status": "partial", "error": "2 of 3 shards answered"})
            return
        if mode == "bad_signature":
            self._reply(200, {"status": "done", "erased": 0}, key=SigningKey(state.keys.current.key_id, "not-the-key"))
            return
        with self.server.lock:
            if key in state.results:  # a repeated key: the stored answer, nothing done again
                self._reply(200, state.results[key])
                return
            if mode == "async":
                state.accepted.setdefault(key, call)
                self._reply(202, {"status": "accepted"})
                return
            state.results[key] = _perform(state, call)
            self._reply(200, state.results[key])


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: ReceiverState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.lock = threading.Lock()


class WebhookReceiver:
    """Start with a key ring; `url` is the base URL to configure (its store's Url parameter, BillingServiceUrl)."""

    def __init__(self, keys: KeyRing) -> None:
        self.state = ReceiverState(keys=keys)
        self._server = _Server(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def callbacks(self, *, status: str = "done", error: str | None = None) -> list[Callback]:
        """Finish every accepted async call and return its signed callback (not yet delivered)."""
        out = []
        with self._server.lock:
            for key, call in list(self.state.accepted.items()):
                if status == "done":
                    self.state.results[key] = _perform(self.state, call)
                payload: dict[str, Any] = {
                    "request_id": call["request_id"],
                    "operation": call["operation"],
                    "status": status,
                }
                if error:
                    payload["error"] = error
                body = json.dumps(payload).encode()
                headers = {
                    "content-type": "application/json",
                    IDEMPOTENCY_HEADER.lower(): key,
                    SIGNATURE_HEADER.lower(): sign(body, self.state.keys.current, now_epoch=int(time.time())),
                }
                out.append(Callback(call["callback_url"], body, headers))
                del self.state.accepted[key]
        return out
