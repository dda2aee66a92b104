"""Processor notices by webhook: a JSON POST signed with HMAC-SHA256 over the timestamp and the
body, with the key from Secrets Manager, and the notice reference as the idempotency key.

Header: `PrivacyDesk-Signature: t=<unix seconds>,v1=<hex hmac of "<t>.<body>">`. The secret is a
plain string or `{"current": "...", "previous": "..."}`; we sign with `current`, and a receiver
accepts either during a rotation. A non-2xx answer or a timeout raises, so the outbox retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from datetime import datetime
from typing import Any

TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "PrivacyDesk-Signature"


class WebhookRefused(Exception):
    """The processor's endpoint answered other than 2xx."""


def signature(key: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(keys: list[bytes], header: str, body: bytes, now: datetime, tolerance_seconds: int = 300) -> bool:
    """What a receiver does (the reference receiver in the tests uses it)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        return False
    return any(hmac.compare_digest(signature(key, timestamp, body), header) for key in keys)


def signing_keys(secret_id: str) -> list[bytes]:
    """The processor's keys, the current one first (then the previous one, during a rotation)."""
    from privacydesk.kernel.aws import client

    raw = client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    try:
        parsed = json.loads(raw)
    except ValueError:
        return [str(raw).encode()]
    if not isinstance(parsed, dict):
        return [str(parsed).encode()]
    return [str(parsed[name]).encode() for name in ("current", "previous") if parsed.get(name)]


def signing_key(secret_id: str) -> bytes:
    return signing_keys(secret_id)[0]


class WebhookPoster:
    def post(self, url: str, secret_id: str, body: dict[str, Any], *, reference: str, now: datetime) -> None:
        payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is validated https (loopback http) in the data map
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": reference,
                SIGNATURE_HEADER: signature(signing_key(secret_id), int(now.timestamp()), payload),
            },
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:  # noqa: S310  # nosec B310 - https checked by the data map model (http only on loopback)
            if not 200 <= reply.status < 300:
                raise WebhookRefused(f"processor webhook answered {reply.status}")
