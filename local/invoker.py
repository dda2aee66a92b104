"""Runs a function's real handler with the environment template.yaml gives it.

`FunctionRunner` (the stand-in: `make run`, `make invoke`) runs each function in a worker process
of its own (local/worker.py), as Lambda runs each in its own sandbox: its own environment, module
state, cached clients and Powertools state. Nothing one function configures can reach another, and
a worker whose invocation failed is replaced before the next one, as Lambda resets a sandbox.

`InProcessRunner` is for the integration tests, whose AWS is moto's in-process `mock_aws`, which
a separate process cannot reach: it runs handlers in the test process, applying each function's
environment in turn (invocations serialised, because the environment is process-wide).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import select
import subprocess  # nosec B404 - starts our own worker module with our own interpreter, no shell
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from local import iam_guard, sam_template
from local.provision import LocalStack
from local.worker import LocalContext

__all__ = ["LOCAL_CREDENTIALS", "FunctionError", "FunctionRunner", "InProcessRunner", "LocalContext"]

# moto's documented fake credentials (the stand-in only; never a real secret).
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # nosec B105

# What the Lambda runtime itself sets in every sandbox, besides the function's own variables.
LAMBDA_RUNTIME_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "PYTHONUNBUFFERED": "1",  # logs reach the console as they are written, as they reach CloudWatch
}
# Beyond the function's Timeout, a worker gets this long to answer before it is killed: more on its first
# invocation, which includes importing the handler (Lambda's separate init phase).
COLD_START_GRACE_SECONDS = 10.0
WARM_GRACE_SECONDS = 0.5


class FunctionError(RuntimeError):
    """An invocation failed: the function, the error's type and its message."""

    def __init__(self, logical_id: str, error_type: str, message: str) -> None:
        super().__init__(f"{logical_id} failed: {error_type}: {message}")
        self.logical_id = logical_id
        self.error_type = error_type
        self.error_message = message


class FunctionRunner:
    """`invoke(logical_id, event) -> result`, each function in its own worker process."""

    def __init__(
        self, stack: LocalStack, extra_env: dict[str, str] | None = None, template: Path = sam_template.TEMPLATE_PATH
    ) -> None:
        self.stack = stack
        self.template = template
        self.specs = sam_template.functions(template)
        self.extra_env = extra_env or {}
        self._workers: dict[str, _Worker] = {}
        self._locks = {logical_id: threading.Lock() for logical_id in self.specs}
        self._applied_env: dict[str, str] | None = None
        self._activate_lock = threading.Lock()

    def environment(self, logical_id: str) -> dict[str, str]:
        """What the function sees: template.yaml's variables, resolved against the stack, plus what
        Lambda (credentials, region) and the stand-in (its AWS endpoint) provide."""
        spec = self.specs[logical_id]
        env = self.stack.function_environment(logical_id, self.template)
        env.update(LOCAL_CREDENTIALS)
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = self.stack.region
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(spec.memory_mb)
        if self.stack.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.stack.endpoint_url
        env.update(self.extra_env)
        return env

    def stack_environment(self) -> dict[str, str]:
        """Every function's variables together: the stand-in's own tooling (seeding the demo data)
        works on the whole stack, as an operator does, not as one function."""
        env: dict[str, str] = {}
        for logical_id in self.specs:
            env.update(self.environment(logical_id))
        return env

    def function_arn(self, logical_id: str) -> str:
        return f"arn:aws:lambda:{self.stack.region}:{self.stack.account}:function:{logical_id}"

    def _check(self, logical_id: str) -> None:
        if logical_id not in self.specs:
            raise KeyError(f"{logical_id} is not a function in template.yaml (have: {', '.join(self.specs)})")

    def invoke(self, logical_id: str, event: Any) -> Any:
        self._check(logical_id)
        with self._locks[logical_id]:  # one sandbox per function: its invocations run one at a time
            worker = self._workers.get(logical_id)
            if worker is None or not worker.alive():
                worker = self._workers[logical_id] = self._start(logical_id)
            try:
                return worker.invoke(event)
            except FunctionError:
                if not worker.alive():
                    self._workers.pop(logical_id, None)
                raise

    def _start(self, logical_id: str) -> _Worker:
        spec = self.specs[logical_id]
        env = {
            **LAMBDA_RUNTIME_ENV,
            **self.environment(logical_id),
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
        }
        return _Worker(logical_id, env, spec.timeout, self.function_arn(logical_id), self.template, self.stack)

    def close(self) -> None:
        """Stop every worker (the stand-in is stopping)."""
        for logical_id in list(self._workers):
            with self._locks[logical_id]:
                worker = self._workers.pop(logical_id, None)
                if worker is not None:
                    worker.stop()

    def activate(self, logical_id: str | None = None) -> None:
        """Point THIS process's privacydesk package at the stack, as `logical_id` sees it.

        For the stand-in's own tooling (seeding the demo data) and the in-process tests; functions
        never see this process's environment.
        """
        with self._activate_lock:
            env = self.environment(logical_id) if logical_id else self.stack_environment()
            if env == self._applied_env:
                return
            # Variables add up in this process (the tests read the stack between invocations, as an
            # operator); only the workers (local/worker.py) hold a function to exactly its own.
            os.environ.update(env)
            # The package caches settings and table bindings at import; rebind to this function's view.
            from privacydesk.kernel.dynamo import bind_tables
            from privacydesk.kernel.settings import reload_settings

            bind_tables(reload_settings())
            self._applied_env = env


class InProcessRunner(FunctionRunner):
    """Runs handlers in this process (tests under in-process `mock_aws`, which no worker can reach)."""

    def __init__(
        self, stack: LocalStack, extra_env: dict[str, str] | None = None, template: Path = sam_template.TEMPLATE_PATH
    ) -> None:
        super().__init__(stack, extra_env, template)
        iam_guard.install(stack)  # every handler's AWS calls are authorised against its own role
        self._modules: dict[str, ModuleType] = {}
        self._lock = threading.RLock()

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
        self._check(logical_id)
        spec = self.specs[logical_id]
        with self._lock:
            self.activate(logical_id)
            context = LocalContext(
                function_name=f"privacydesk-local-{logical_id}",
                memory_limit_in_mb=spec.memory_mb,
                timeout_seconds=spec.timeout,
                invoked_function_arn=self.function_arn(logical_id),
            )
            with iam_guard.acting_as(logical_id):  # calls are authorised against the function's own role
                return self.handler(logical_id)(event, context)

    def close(self) -> None:
        return None


class _Worker:
    """A `python -m local.worker` process and the two pipes it is driven through."""

    def __init__(
        self,
        logical_id: str,
        env: dict[str, str],
        timeout_seconds: int,
        function_arn: str,
        template: Path,
        stack: LocalStack,
    ) -> None:
        self.logical_id = logical_id
        self.timeout_seconds = timeout_seconds
        self.warm = False
        to_worker_read, to_worker_write = os.pipe()
        from_worker_read, from_worker_write = os.pipe()
        self.process = subprocess.Popen(  # nosec B603 - our own interpreter and module, no shell
            [
                sys.executable,
                "-m",
                "local.worker",
                logical_id,
                str(to_worker_read),
                str(from_worker_write),
                str(timeout_seconds),
                function_arn,
                str(template),
                json.dumps(dataclasses.asdict(stack)),  # for the worker's IAM check (local/iam_guard.py)
            ],
            cwd=sam_template.ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            pass_fds=(to_worker_read, from_worker_write),
        )
        os.close(to_worker_read)
        os.close(from_worker_write)
        self._requests: IO[str] = os.fdopen(to_worker_write, "w", encoding="utf-8")
        self._replies: IO[str] = os.fdopen(from_worker_read, "r", encoding="utf-8")

    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, event: Any) -> Any:
        try:
            self._requests.write(json.dumps(event) + "\n")
            self._requests.flush()
        except BrokenPipeError:
            self.stop()
            raise FunctionError(self.logical_id, "Runtime.ExitError", self._exit_reason()) from None
        grace = WARM_GRACE_SECONDS if self.warm else COLD_START_GRACE_SECONDS
        ready, _, _ = select.select([self._replies], [], [], self.timeout_seconds + grace)
        if not ready:
            self.stop()
            raise FunctionError(
                self.logical_id, "Sandbox.Timedout", f"Task timed out after {self.timeout_seconds} seconds"
            )
        line = self._replies.readline()
        if not line:
            self.stop()
            raise FunctionError(self.logical_id, "Runtime.ExitError", self._exit_reason())
        reply = json.loads(line)
        if "error" in reply:
            self.stop()  # the worker ends itself after an unhandled error; make sure of it
            raise FunctionError(self.logical_id, reply["error"]["type"], reply["error"]["message"])
        self.warm = True
        return reply["result"]

    def _exit_reason(self) -> str:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the worker stopped answering"
        return f"the worker process exited with code {code} (its log says why)"

    def stop(self) -> None:
        for stream in (self._requests, self._replies):
            with contextlib.suppress(OSError):
                stream.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
