"""A resolver that includes each capability's router on the first request that needs it.

A router module imports its own logic and data access. Including every router at import time
would make each cold start pay for all of them; here a cold start pays for the one its request
needs. Each app lists its routers by the paths they serve (shell patterns, first match wins);
the OpenAPI document includes them all. `tests/unit/test_lazy_routers.py` checks that every
route of every router is reached by its own pattern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from importlib import import_module
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext


class LazyRoutersResolver(APIGatewayHttpResolver):
    def __init__(self, routers: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if kwargs.get("enable_validation"):
            from privacydesk.http_api.strict_json import StrictJsonValidation

            self._request_validation_middleware = StrictJsonValidation()  # JSON bodies only, sane depth
        self.router_paths = tuple(routers)  # (path pattern, router module)
        self._included: set[str] = set()

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        path = event.get("rawPath") or event.get("path") or ""
        module = self.router_module_for(path)
        if module is not None:
            self.include_router_module(module)
        reply = super().resolve(event, context)
        # Every reply, errors included: browsers must not sniff a JSON body into something else.
        reply.setdefault("headers", {})["X-Content-Type-Options"] = "nosniff"
        return reply

    def router_module_for(self, path: str) -> str | None:
        return next((module for pattern, module in self.router_paths if fnmatchcase(path, pattern)), None)

    def include_router_module(self, module: str) -> None:
        if module not in self._included:
            self.include_router(import_module(module).router)
            self._included.add(module)

    def include_all_routers(self) -> None:
        for _, module in self.router_paths:
            self.include_router_module(module)
