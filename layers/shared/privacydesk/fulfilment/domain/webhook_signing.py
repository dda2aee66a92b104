"""Signatures of the webhook contract (issue 20): every call to a company service, every answer
and every callback carries `PrivacyDesk-Signature: t=<unix seconds>,kid=<key id>,v1=<hex>`, where
v1 = HMAC-SHA256(secret, "<t>.<body>"). Two keys are live at once (current and previous), so a
key is rotated without a moment where either side refuses the other. Pure: no I/O, time passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

SIGNATURE_HEADER = "PrivacyDesk-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE_SECONDS = 300  # a signed message older (or newer) than this is refused: replays go stale


class SignatureRejected(Exception):
    """A message whose signature is missing, malformed, stale, or made with no key we hold."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    secret: str


@dataclass(frozen=True)
class KeyRing:
    """The current key signs; current and previous both verify."""

    current: SigningKey
    previous: SigningKey | None = None

    def by_id(self, key_id: str) -> SigningKey | None:
        return next((k for k in (self.current, self.previous) if k and k.key_id == key_id), None)

    @classmethod
    def from_secret_string(cls, text: str) -> KeyRing:
        """The Secrets Manager value: {"current_key_id", "current_secret"} and, while a rotation is
        under way, {"previous_key_id", "previous_secret"} (the template generates the first key)."""
        value = json.loads(text)
        previous = None
        if value.get("previous_key_id") and value.get("previous_secret"):
            previous = SigningKey(str(value["previous_key_id"]), str(value["previous_secret"]))
        return cls(current=SigningKey(str(value["current_key_id"]), str(value["current_secret"])), previous=previous)


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(body: bytes, key: SigningKey, *, now_epoch: int) -> str:
    """The signature header's value for `body`, made now with `key`."""
    return f"t={now_epoch},kid={key.key_id},v1={_digest(key.secret, now_epoch, body)}"


def verify(header: str | None, body: bytes, keys: KeyRing, *, now_epoch: int) -> SigningKey:
    """The key that signed `body`; raises SignatureRejected (with a machine-readable code) if none."""
    if not header:
        raise SignatureRejected("signature_missing")
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
        key_id, given = parts["kid"], parts["v1"]
    except (KeyError, ValueError) as error:
        raise SignatureRejected("signature_malformed") from error
    if abs(now_epoch - timestamp) > TOLERANCE_SECONDS:
        raise SignatureRejected("signature_stale")
    key = keys.by_id(key_id)
    if key is None:
        raise SignatureRejected("signature_unknown_key")
    if not hmac.compare_digest(_digest(key.secret, timestamp, body), given):
        raise SignatureRejected("signature_invalid")
    return key


def idempotency_key(request_id: str, store: str, operation: str) -> str:
    """One per request, store and operation: a retried call is the same call to the service."""
    return f"{request_id}:{store}:{operation}"
