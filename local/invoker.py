"""Runs a function's real handler in-process with the environment template.yaml gives it.

This is what `sam local invoke` does where Docker exists. Invocations are serialised,
because the environment is process-wide (Lambda runs one event per sandbox anyway).
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from local import iam_guard, sam_template
from local.provision import LocalStack

# moto's documented fake credentials (the stand-in only; never a real secret).
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # nosec B105


@dataclass
class LocalContext:
    """The parts of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


class FunctionRunner:
    def __init__(self, stack: LocalStack, extra_env: dict[str, str] | None = None) -> None:
        self.stack = stack
        self.specs = sam_template.functions()
        self.extra_env = extra_env or {}
        self._modules: dict[str, ModuleType] = {}
        self._lock = threading.RLock()
        self._applied_env: dict[str, str] | None = None
        iam_guard.install(stack)  # every handler's AWS calls are authorised against its own role

    def environment(self, logical_id: str) -> dict[str, str]:
        env = self.stack.function_environment(logical_id)
        env.update(LOCAL_CREDENTIALS)
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = self.stack.region
        if self.stack.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.stack.endpoint_url
        env.update(self.extra_env)
        return env

    def handler(self, logical_id: str) -> Callable[[Any, Any], Any]:
        spec = self.specs[logical_id]
        module_name, function_name = spec.handler.rsplit(".", 1)
        if logical_id not in self._modules:
            path = spec.code_dir / f"{module_name.replace('.', '/')}.py"
            module_spec = importlib.util.spec_from_file_location(f"pd_function_{logical_id}", path)
            if module_spec is None or module_spec.loader is None:
                raise RuntimeError(f"cannot load {path}")
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
            self._modules[logical_id] = module
        handler: Callable[[Any, Any], Any] = getattr(self._modules[logical_id], function_name)
        return handler

    def invoke(self, logical_id: str, event: Any) -> Any:
        if logical_id not in self.specs:
            raise KeyError(f"{logical_id} is not a function in template.yaml (have: {', '.join(self.specs)})")
        spec = self.specs[logical_id]
        with self._lock:
            self._apply_environment(self.environment(logical_id))
            handler = self.handler(logical_id)
            context = LocalContext(
                function_name=f"privacydesk-local-{logical_id}",
                memory_limit_in_mb=spec.memory_mb,
                timeout_seconds=spec.timeout,
                invoked_function_arn=f"arn:aws:lambda:{self.stack.region}:{self.stack.account}:function:{logical_id}",
            )
            with iam_guard.acting_as(logical_id):
                return handler(event, context)

    def activate(self, logical_id: str | None = None) -> None:
        """Point this process's privacydesk package at the stack (for seeding and tests)."""
        with self._lock:
            self._apply_environment(self.environment(logical_id or next(iter(self.specs))))

    def _apply_environment(self, env: dict[str, str]) -> None:
        if env == self._applied_env:
            return
        os.environ.update(env)
        # The package caches settings and table bindings at import; rebind to this function's view.
        from privacydesk.dal.base import bind_tables
        from privacydesk.settings import reload_settings

        bind_tables(reload_settings())
        self._applied_env = env
