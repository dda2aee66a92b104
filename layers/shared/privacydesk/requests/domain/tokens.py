"""Secrets handed to requesters: verification tokens, SMS codes and status tokens.

Only hashes are stored. Comparison is constant-time. Tokens are long random strings (hashing
with SHA-256 is enough); six-digit SMS codes are low-entropy, so they are hashed with a key
bound to the request and limited to a few attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

TOKEN_TTL = timedelta(hours=24)
MAX_ATTEMPTS = 5


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_sms_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_secret(secret: str, *, context: str) -> str:
    """Keyed by context (the request id), so a hash is useless for any other request."""
    return hmac.new(context.encode(), secret.encode(), hashlib.sha256).hexdigest()


def matches(secret: str, expected_hash: str, *, context: str) -> bool:
    return hmac.compare_digest(hash_secret(secret, context=context), expected_hash)


@dataclass(frozen=True)
class VerificationChallenge:
    """What is stored for a pending verification (never the secret itself)."""

    request_id: str
    secret_hash: str
    method: str  # email_link | sms_code
    expires_at: datetime
    attempts: int = 0
    used: bool = False
    subject_ref: str | None = None  # hashed person key: failed attempts also count per subject

    @property
    def guessable(self) -> bool:
        """A six-digit code can be guessed, so wrong guesses lock it. A link's secret is 256 bits: no
        number of guesses finds it, so it never locks and a stranger cannot shut its owner out."""
        return self.method == "sms_code"

    def locked(self, now: datetime) -> bool:
        """A code locked by MAX_ATTEMPTS wrong guesses stays locked until it expires (24 hours); asking
        again after that texts a fresh code, so a stranger's guesses cost its owner a day at most."""
        return self.guessable and self.attempts >= MAX_ATTEMPTS and now < self.expires_at

    def check(self, secret: str, now: datetime, *, locked: bool = False) -> str | None:
        """None if the secret is accepted, else the machine-readable reason.

        The secret is checked before the challenge's state (attempts included), so someone without
        it learns nothing about the request (locked, used or expired) beyond "invalid": an unknown
        request and a wrong secret answer alike. A locked code refuses even the right secret, so
        guessing past the lock is useless; only the secret's holder is told it is locked. `locked`:
        the person's wrong guesses of the day reached their cap (codes only, as above).
        """
        if not matches(secret, self.secret_hash, context=self.request_id):
            return "token_invalid"
        if self.guessable and (locked or self.attempts >= MAX_ATTEMPTS):
            return "too_many_attempts"
        if self.used:
            return "token_used"
        if now >= self.expires_at:
            return "token_expired"
        return None


def challenge_for(
    request_id: str,
    method: str,
    now: datetime,
    ttl: timedelta = TOKEN_TTL,
    *,
    attempts: int = 0,
    subject_ref: str | None = None,
) -> tuple[str, VerificationChallenge]:
    """A new secret and its challenge. `attempts` carries a replaced challenge's failures over."""
    secret = new_sms_code() if method == "sms_code" else new_token()
    challenge = VerificationChallenge(
        request_id=request_id,
        secret_hash=hash_secret(secret, context=request_id),
        method=method,
        expires_at=now + ttl,
        attempts=attempts,
        subject_ref=subject_ref,
    )
    return secret, challenge
