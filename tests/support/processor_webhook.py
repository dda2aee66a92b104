"""A reference receiver for processor notices by webhook, on loopback: it checks the signature
(privacydesk.processors.adapters.webhook.verify) and keeps one notice per idempotency key, as a
processor's endpoint should. `fail_next` makes it answer 500 that many times first."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

from privacydesk.processors.adapters.webhook import SIGNATURE_HEADER, verify
from privacydesk.processors.domain.model import Processor, ProcessorMap, load_processors


class Receiver:
    def __init__(self, keys: list[bytes]) -> None:
        self.keys = keys
        self.accepted: dict[str, dict[str, Any]] = {}  # idempotency key -> notice
        self.deliveries = 0  # every POST that was answered 2xx (repeats included)
        self.refused_signatures = 0
        self.fail_next = 0
        self.url = ""


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                return
            if not verify(receiver.keys, self.headers.get(SIGNATURE_HEADER, ""), body, datetime.now(UTC)):
                receiver.refused_signatures += 1
                self.send_response(401)
                self.end_headers()
                return
            receiver.accepted.setdefault(self.headers["Idempotency-Key"], json.loads(body))
            receiver.deliveries += 1
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # quiet: the test output stays free of bodies
            return

    return Handler


@contextmanager
def webhook_processor(region: str, name: str = "crm_vendor") -> Iterator[tuple[Receiver, ProcessorMap]]:
    """A receiver on a free loopback port, its key in Secrets Manager, and the data map's processors
    plus one webhook processor that receives account emails and names (pass the map to monkeypatch)."""
    secret_id = f"privacydesk/processors/{name}"
    secrets = boto3.client("secretsmanager", region_name=region)
    key = f"key-{name}"
    try:
        secrets.create_secret(Name=secret_id, SecretString=json.dumps({"current": key, "previous": "old"}))
    except secrets.exceptions.ResourceExistsException:
        secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps({"current": key, "previous": "old"}))
    receiver = Receiver([key.encode()])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/privacy-notices"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hooked = Processor.model_validate(
        {
            "name": name,
            "title": "our CRM vendor",
            "description": "Keeps our customer contacts.",
            "receives": [{"store": "accounts", "fields": ["email", "name"]}],
            "identified_by": ["account_id"],
            "notify": {"kind": "webhook", "url": receiver.url, "secret_id": secret_id},
            "confirm_within_days": 5,
        }
    )
    try:
        yield receiver, ProcessorMap(processors=[*load_processors().processors, hooked])
    finally:
        server.shutdown()
        server.server_close()
