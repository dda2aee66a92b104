"""Fault injection at the AWS boundary: botocore event hooks, never a mock of our own code.

`inject(Fault(...), ...)` registers hooks on every botocore client created while it is active:
the cached boto3 clients of `privacydesk.kernel.aws.client` (boto3's default session) and
the botocore clients PynamoDB creates for its connections (a fresh `botocore.session.get_session()`
per connection, which picks the hooks up from `botocore.handlers.BUILTIN_HANDLERS`, as moto's own
stubber does). Clients created before are dropped on entry (and again on exit), so none is missed
and none keeps a hook.

A service fault answers an HTTP attempt with the error response the service itself would send
(status, protocol-shaped body), from a `before-send` hook. So botocore parses it, raises the real
`ClientError` and applies its real retry policy: a fault for the first N attempts is absorbed by
botocore's retries, a fault on every attempt reaches our code after them. The faulted attempt is
re-addressed to an unroutable `.invalid` host, so moto (a later `before-send` handler) does not
execute it: a throttled request never happens on the server. botocore's retry backoff is recorded
in `backoff` instead of slept, so the suite stays fast while asserting what botocore asked for.

A crash fault (`crash=True`) raises `SandboxCrash` before the call is made: a BaseException no
`except Exception` catches, as when the Lambda sandbox dies; the invocation fails as a whole.
With `after=True` the call is made and succeeds first (the sandbox dies right after a commit).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from unittest import mock

import boto3
import botocore.endpoint
import botocore.handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

# Error codes as AWS sends them.
DYNAMODB_THROTTLED = "ProvisionedThroughputExceededException"
THROTTLED = "ThrottlingException"
SES_THROTTLED = "TooManyRequestsException"
S3_INTERNAL_ERROR = "InternalError"
S3_ACCESS_DENIED = "AccessDenied"


class SandboxCrash(BaseException):
    """The Lambda sandbox died mid-invocation (killed, out of memory): nothing below catches it."""


@dataclass(frozen=True)
class Fault:
    """Answer `service`'s `operation` with `code` (HTTP `status`) for the first `times` matching
    attempts (None: every attempt). `when` selects calls by their API parameters (e.g. a table)."""

    service: str  # botocore's hyphenized service id: "dynamodb", "sesv2", "s3", "sqs"
    operation: str  # "TransactWriteItems", "SendEmail", "GetObject", ...
    code: str = THROTTLED
    status: int = 400
    times: int | None = None
    when: Callable[[dict[str, Any]], bool] | None = None
    crash: bool = False
    after: bool = False  # with crash: die once the call has succeeded, not before it is made

    @property
    def key(self) -> str:
        return f"{self.service}.{self.operation}"


@dataclass
class _Call(threading.local):
    params: dict[str, Any] = field(default_factory=dict)
    protocol: str = "json"
    faults: list[int] = field(default_factory=list)  # indexes of the faults that match this call


class _RecordingClock:
    """botocore.endpoint's `time`, with `sleep` recorded instead of slept (retry backoff)."""

    def __init__(self, delays: list[float]) -> None:
        self._delays = delays

    def sleep(self, seconds: float) -> None:
        self._delays.append(float(seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class _RawBody(BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def error_response(url: str, protocol: str, code: str, status: int) -> AWSResponse:
    """The error reply a service of this protocol sends (what botocore's parsers expect)."""
    request_id = str(uuid.uuid4())
    message = f"injected fault: {code}"
    headers = {"x-amzn-RequestId": request_id}
    if protocol == "json":  # DynamoDB, SQS
        headers["Content-Type"] = "application/x-amz-json-1.0"
        body = json.dumps({"__type": f"com.amazonaws.fault#{code}", "message": message})
    elif protocol == "rest-json":  # SES v2
        headers["Content-Type"] = "application/json"
        headers["x-amzn-ErrorType"] = code
        body = json.dumps({"message": message})
    elif protocol == "rest-xml":  # S3
        headers["Content-Type"] = "application/xml"
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
    elif protocol == "query":  # SNS, SES v1
        headers["Content-Type"] = "text/xml"
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    else:
        raise ValueError(f"no error shape for protocol {protocol!r}")
    return AWSResponse(url, status, headers, _RawBody(body.encode()))  # type: ignore[arg-type]


class FaultInjector:
    """Counts, per "service.Operation" with a fault: API `calls`, HTTP `attempts` (retries
    included) and `injected` faults; `backoff` holds the delays botocore's retries asked for."""

    def __init__(self, faults: tuple[Fault, ...]) -> None:
        self.faults = list(faults)
        self.remaining = [fault.times for fault in faults]
        self.calls: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.backoff: list[float] = []
        self.active = True
        self._call = _Call()
        self._lock = threading.Lock()

    def clear(self) -> None:
        """The fault is over: later calls go through (the counters keep what happened)."""
        self.active = False

    def handlers(self) -> list[tuple[str, Callable[..., Any]]]:
        keys = sorted({fault.key for fault in self.faults})
        return [
            hook
            for key in keys
            for hook in (
                (f"before-parameter-build.{key}", self._on_parameters),
                (f"before-call.{key}", self._on_call),
                (f"before-send.{key}", self._on_send),
                (f"after-call.{key}", self._after_call),
            )
        ]

    def _on_parameters(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._call.params = dict(params)
        self._call.protocol = model.service_model.resolved_protocol

    def _on_call(self, event_name: str, **_: Any) -> None:
        key = event_name.split(".", 1)[1]
        with self._lock:
            self.calls[key] += 1
            matching = [
                index
                for index, fault in enumerate(self.faults)
                if self.active and fault.key == key and (fault.when is None or fault.when(self._call.params))
            ]
        self._call.faults = matching
        for index in matching:
            if self.faults[index].crash and not self.faults[index].after and self._take(index, key):
                raise SandboxCrash(f"the sandbox died calling {key}")

    def _after_call(self, event_name: str, **_: Any) -> None:
        key = event_name.split(".", 1)[1]
        for index in self._call.faults:
            fault = self.faults[index]
            if fault.crash and fault.after and self.active and self._take(index, key):
                raise SandboxCrash(f"the sandbox died right after {key}")

    def _on_send(self, event_name: str, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        key = event_name.split(".", 1)[1]
        with self._lock:
            self.attempts[key] += 1
        for index in self._call.faults:
            fault = self.faults[index]
            if not fault.crash and self.active and self._take(index, key):
                response = error_response(request.url, self._call.protocol, fault.code, fault.status)
                request.url = "https://fault-injected.invalid/"  # moto's stubber leaves it alone
                return response
        return None

    def _take(self, index: int, key: str) -> bool:
        with self._lock:
            left = self.remaining[index]
            if left is not None and left <= 0:
                return False
            if left is not None:
                self.remaining[index] = left - 1
            self.injected[key] += 1
            return True


def _drop_clients() -> None:
    """Forget every cached client and PynamoDB connection, so the next ones are created afresh."""
    from privacydesk.kernel.dynamo import bind_tables
    from privacydesk.kernel.settings import reload_settings

    bind_tables(reload_settings())


@contextmanager
def inject(*faults: Fault) -> Iterator[FaultInjector]:
    injector = FaultInjector(faults)
    hooks = injector.handlers()
    default_session = boto3.DEFAULT_SESSION._session if boto3.DEFAULT_SESSION else None
    for event_name, handler in hooks:
        botocore.handlers.BUILTIN_HANDLERS.append((event_name, handler))
        if default_session is not None:
            default_session.register(event_name, handler)
    _drop_clients()
    try:
        with mock.patch.object(botocore.endpoint, "time", _RecordingClock(injector.backoff)):
            yield injector
    finally:
        injector.active = False
        for event_name, handler in hooks:
            botocore.handlers.BUILTIN_HANDLERS.remove((event_name, handler))
            if default_session is not None:
                default_session.unregister(event_name, handler)
        _drop_clients()


def table_is(name: str) -> Callable[[dict[str, Any]], bool]:
    """A `when` for DynamoDB calls on one table (single-table calls and transactions)."""

    def matches(params: dict[str, Any]) -> bool:
        if params.get("TableName") == name:
            return True
        items = params.get("TransactItems", [])
        return any(op.get("TableName") == name for item in items for op in item.values())

    return matches


def mentions(*fragments: str) -> Callable[[dict[str, Any]], bool]:
    """A `when` for calls whose parameters mention every fragment (an id, a key, a status)."""

    def matches(params: dict[str, Any]) -> bool:
        text = json.dumps(params, default=str)
        return all(fragment in text for fragment in fragments)

    return matches
