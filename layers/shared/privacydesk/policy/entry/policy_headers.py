"""A Powertools middleware that tells every API client where the privacy policy is and which
version is in force: `Link: <https://…/v1/policy>; rel="privacy-policy"` (RFC 6903) and
`X-Privacy-Policy-Version: 2025-11-30`.

The company's own Lambda APIs reuse it from the layer:

    from privacydesk.policy.entry.policy_headers import PolicyHeaders

    policy_headers = PolicyHeaders(policy_url="https://privacy.example.com/v1/policy")
    app.use([policy_headers])

With no `policy_url`, the link points where every link does (`settings.link_base_url`:
`PUBLIC_BASE_URL`, else the API's own URL). With no `current_version`, the version is read from the policy table
(ids and dates only), at most once per `ttl_seconds` per warm container. A failed lookup
never fails the response: the Link header is still set, the version header is left out.

Exception handlers run outside the middleware stack, so error replies (e.g. request
validation) pass through `policy_headers.add_to(response, app.current_event)` to carry the
same headers (see `http_api.errors.install_error_handlers`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.middlewares import BaseMiddlewareHandler, NextMiddleware
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.observability import logger
from privacydesk.kernel.settings import link_base_url

LINK_HEADER = "Link"
VERSION_HEADER = "X-Privacy-Policy-Version"
POLICY_PATH = "/v1/policy"
DEFAULT_TTL_SECONDS = 60.0


def _version_from_policy_table() -> str:
    from privacydesk.policy.adapters.policy_store import PolicyRepository
    from privacydesk.policy.domain import policy

    return policy.current_version_id(PolicyRepository(), utc_now())


class PolicyHeaders(BaseMiddlewareHandler[ApiGatewayResolver]):
    """Middleware: `app.use([PolicyHeaders()])`; `add_to` does the same for error replies."""

    def __init__(
        self,
        policy_url: str | None = None,
        current_version: Callable[[], str] = _version_from_policy_table,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._policy_url = policy_url
        self._current_version = current_version
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cached: tuple[float, str] | None = None
        self._lock = threading.Lock()

    def handler(self, app: ApiGatewayResolver, next_middleware: NextMiddleware) -> Response[Any]:
        response = next_middleware(app)
        return self.add_to(response, app.current_event)

    def add_to(self, response: Response[Any], event: BaseProxyEvent | None) -> Response[Any]:
        response.headers[LINK_HEADER] = f'<{self.policy_url(event)}>; rel="privacy-policy"'
        version = self.version()
        if version:
            response.headers[VERSION_HEADER] = version
        return response

    def policy_url(self, event: BaseProxyEvent | None) -> str:
        if self._policy_url:
            return self._policy_url
        domain = None
        if event is not None:
            domain = (event.raw_event.get("requestContext") or {}).get("domainName") or event.headers.get("host")
        return f"{link_base_url(domain)}{POLICY_PATH}"

    def version(self) -> str | None:
        """The version in force, cached per warm container for `ttl_seconds`."""
        now = self._monotonic()
        with self._lock:
            if self._cached is not None and now - self._cached[0] < self._ttl:
                return self._cached[1]
        try:
            version = self._current_version()
        except Exception as error:  # noqa: BLE001 - the header is a courtesy; never fail a reply for it
            logger.warning("policy version lookup failed", extra={"error_type": type(error).__name__})
            return None
        with self._lock:
            self._cached = (now, version)
        return version

    def forget(self) -> None:
        """Drop the cached version (tests; a container never needs it)."""
        with self._lock:
            self._cached = None
