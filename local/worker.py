"""One function's sandbox on the stand-in.

`python -m local.worker <LogicalId> <fd in> <fd out> <timeout s> <ARN> <template>`:

local/invoker.py starts one of these per function with exactly the environment Lambda would give
it, so no function's configuration, cached clients or library state can reach another's. Like the
Lambda runtime, it imports the handler once from LAMBDA_TASK_ROOT (its code folder) and then
serves invocations one at a time: a JSON line per event in, a JSON line per outcome out. Logs go
to this process's stdout/stderr, as a function's go to CloudWatch.

After an unhandled error the worker exits, and the next invocation gets a fresh one (a reset
sandbox), so a failing invocation never leaves state behind for the next.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from local import iam_guard, sam_template
from local.provision import LocalStack


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


def load_handler(task_root: str, handler: str) -> Callable[[Any, Any], Any]:
    """Import `module.function` from the function's code folder, as the Lambda runtime does."""
    sys.path.insert(0, task_root)
    module_name, function_name = handler.rsplit(".", 1)
    module = importlib.import_module(module_name)
    loaded: Callable[[Any, Any], Any] = getattr(module, function_name)
    return loaded


def _failure(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {"error": {"type": error_type or type(error).__name__, "message": str(error)}}


def _report(error: BaseException) -> None:
    """The traceback into the function's log, scrubbed as every log line is."""
    from privacydesk.kernel.observability import redact

    print(redact("".join(traceback.format_exception(error))), file=sys.stderr, flush=True)


def serve(
    logical_id: str, requests: TextIO, replies: TextIO, timeout: int, function_arn: str, stack: LocalStack | None
) -> int:
    """`stack` set: calls are checked against the function's role in template.yaml (local/iam_guard)."""
    try:
        if stack is not None:
            iam_guard.install(stack)  # before the handler makes a client: every call is checked
        handler = load_handler(os.environ["LAMBDA_TASK_ROOT"], os.environ["_HANDLER"])
    except Exception as error:  # noqa: BLE001 - Lambda's Runtime.ImportModuleError: reported per invocation
        _report(error)
        init_error = _failure(error, f"Runtime.ImportModuleError: {type(error).__name__}")
        for _line in requests:
            replies.write(json.dumps(init_error) + "\n")
            replies.flush()
        return 1
    memory = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
    for line in requests:
        context = LocalContext(
            function_name=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", logical_id),
            memory_limit_in_mb=memory,
            timeout_seconds=timeout,
            invoked_function_arn=function_arn,
        )
        try:
            with iam_guard.acting_as(logical_id) if stack is not None else nullcontext():  # its own role
                result = handler(json.loads(line), context)
            reply = json.dumps({"result": result})
        except Exception as error:  # noqa: BLE001 - an unhandled error ends this sandbox, as on Lambda
            _report(error)
            replies.write(json.dumps(_failure(error)) + "\n")
            replies.flush()
            return 1
        replies.write(reply + "\n")
        replies.flush()
    return 0  # the stand-in closed the pipe: it is stopping


def main(argv: list[str]) -> int:
    logical_id, requests_fd, replies_fd, timeout, function_arn, template, stack_json = argv
    # The IAM check knows the roles of template.yaml; a test's own template runs unchecked.
    checked = Path(template).resolve() == sam_template.TEMPLATE_PATH.resolve()
    stack = LocalStack(**json.loads(stack_json)) if checked else None
    with (
        os.fdopen(int(requests_fd), "r", encoding="utf-8") as requests,
        os.fdopen(int(replies_fd), "w", encoding="utf-8") as replies,
    ):
        return serve(logical_id, requests, replies, int(timeout), function_arn, stack)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
