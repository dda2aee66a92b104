"""boto3 clients, created once per cold start and only when first used (keeps imports cheap)."""

from __future__ import annotations

from functools import cache
from typing import Any

from privacydesk.settings import on_reload


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)  # type: ignore[call-overload]  # region and endpoint come from the environment (AWS_ENDPOINT_URL locally)


def reset_clients() -> None:
    """Forget cached clients (tests and the local stand-in re-point the environment)."""
    client.cache_clear()


on_reload(reset_clients)
