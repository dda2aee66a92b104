"""Download links for Access exports.

The requester is emailed a link to our API holding a random secret, never an S3 URL: a presigned
URL signed by a Lambda role dies with the role's session credentials (hours), and SigV4 caps it at
7 days anyway. Only the secret's keyed hash is stored (a `VerificationChallenge`, so the same rules
hold as for verification: keyed by the request id, constant-time compare, a few wrong attempts,
an expiry), with the export's bucket and key. Secrets are 256 random bits; wrong guesses are
throttled per source address, never by locking the link. Following the link checks the secret and redirects
to a presigned URL signed there and then, valid a few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import quote, urlencode

from privacydesk.kernel.errors import Gone, NotFound, TooManyRequests
from privacydesk.kernel.observability import logger
from privacydesk.requests.domain.ports import AbuseLimits, Allowance, NoLimits
from privacydesk.requests.domain.tokens import VerificationChallenge, challenge_for

METHOD = "export_link"
MAX_ID_LENGTH = 100  # longer is no request of ours (and would not fit a DynamoDB key)
REDIRECT_SECONDS = 300  # the presigned URL behind a followed link: long enough to start the download


@dataclass(frozen=True)
class ExportGrant:
    """What is stored for an export's download link (never the secret itself).

    `challenge.request_id` is the request's id (the secret's hash is keyed by it); the challenge is
    never marked used, so the link works as often as needed until it expires.
    """

    challenge: VerificationChallenge
    bucket: str
    key: str

    @property
    def request_id(self) -> str:
        return self.challenge.request_id


class ExportGrantStore(Protocol):
    def save(self, grant: ExportGrant) -> None: ...
    def get(self, request_id: str) -> ExportGrant | None: ...
    def revoke(self, request_id: str, now: datetime) -> bool: ...


class Presigner(Protocol):
    def presigned_get(self, bucket: str, key: str, expires_in_seconds: int) -> str: ...


def grant_for(request_id: str, bucket: str, key: str, *, now: datetime, days: int) -> tuple[str, ExportGrant]:
    """A new secret (returned once, for the email) and what to store for it."""
    secret, challenge = challenge_for(request_id, METHOD, now, ttl=timedelta(days=days))
    return secret, ExportGrant(challenge=challenge, bucket=bucket, key=key)


def download_url(base_url: str, request_id: str, secret: str) -> str:
    return f"{base_url}/v1/requests/{quote(request_id, safe='')}/export?{urlencode({'token': secret})}"


# Wrong secrets (unknown requests included) per source address and hour. A link never locks: a
# stranger who knows a request id must not be able to shut its owner out.
WRONG_GUESSES_PER_SOURCE = Allowance(cap=20, window=timedelta(hours=1))


def open_export(
    request_id: str,
    secret: str,
    *,
    now: datetime,
    grants: ExportGrantStore,
    signer: Presigner,
    source: str = "",
    limits: AbuseLimits | None = None,
    seconds: int = REDIRECT_SECONDS,
) -> str:
    """A fresh presigned URL of the export, if `secret` is this request's live download secret.

    An unknown request and a wrong secret look the same (404) and count alike against the caller's
    source; past the cap the source gets 429 for any link, known or not, until the hour turns. Only
    the secret's holder learns that the link expired (410).
    """
    throttle = limits or NoLimits()
    if throttle.used("export-guess", source, WRONG_GUESSES_PER_SOURCE, now) >= WRONG_GUESSES_PER_SOURCE.cap:
        raise TooManyRequests("too many wrong download links from here; try again later", code="too_many_attempts")
    grant = grants.get(request_id) if len(request_id) <= MAX_ID_LENGTH else None  # ids are "req_" + 32 hex
    # Attempts stored by older versions are ignored: guesses are throttled per source, not per link.
    refused = replace(grant.challenge, attempts=0).check(secret, now) if grant else "token_invalid"
    if grant is None or refused == "token_invalid":
        throttle.count("export-guess", source, WRONG_GUESSES_PER_SOURCE, now)
        raise NotFound("no such export", code="export_not_found")
    if refused is not None:  # token_expired (a grant is never marked used)
        raise Gone("this download link has expired, and the copy with it", code="export_expired")
    logger.info("export link followed", extra={"request_id": request_id, "redirect_seconds": seconds})
    return signer.presigned_get(grant.bucket, grant.key, seconds)
