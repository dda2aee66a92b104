"""What the admin routers share: the signed caller and opaque list cursors."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from privacydesk.kernel.errors import InvalidInput


def signed_caller(event: BaseProxyEvent) -> str:
    """The caller API Gateway's IAM authorizer verified, recorded in audit trails."""
    context = event.raw_event.get("requestContext", {})
    iam = (context.get("authorizer") or {}).get("iam") or {}
    return str(iam.get("userArn") or iam.get("callerId") or "unknown-admin")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError) as error:
        raise InvalidInput("cursor is not valid", code="invalid_cursor") from error
    if not isinstance(decoded, dict):
        raise InvalidInput("cursor is not valid", code="invalid_cursor")
    return decoded


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode() if key else None
