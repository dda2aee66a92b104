"""boto3 clients, created once per cold start and only when first used (keeps imports cheap)."""

from __future__ import annotations

from functools import cache
from typing import Any

from privacydesk.kernel.settings import on_reload


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)  # type: ignore[call-overload]  # region and endpoint come from the environment (AWS_ENDPOINT_URL locally)


def reset_clients() -> None:
    """Forget cached clients (tests and the local stand-in re-point the environment)."""
    client.cache_clear()


on_reload(reset_clients)


def is_transient(error: BaseException) -> bool:
    """True when an AWS service was throttling or unavailable somewhere in `error`'s chain.

    PynamoDB and Powertools wrap botocore's ClientError, so the chain (`__cause__`, `__context__`) is
    walked. What counts as throttling or transient is botocore's own retry definition; a 5xx reply
    counts too. Such a failure is worth retrying later: it is neither the caller's fault nor a bug.
    """
    from botocore.exceptions import ClientError
    from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

    checkers = (ThrottledRetryableChecker(), TransientRetryableChecker())
    seen: set[int] = set()
    current: BaseException | None = error
    while isinstance(current, Exception) and id(current) not in seen:
        seen.add(id(current))
        context = RetryContext(attempt_number=1, caught_exception=current)
        if isinstance(current, ClientError):
            context = RetryContext(attempt_number=1, parsed_response=dict(current.response))
            status = int(current.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if status >= 500:
                return True
        if any(checker.is_retryable(context) for checker in checkers):
            return True
        current = current.__cause__ or current.__context__
    return False
