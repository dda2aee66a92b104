"""Every AWS call a function makes, authorised against its own role as AWS would (stand-in and tests).

Why not moto's own IAM enforcement: moto 5.2 compares the `Resource` of DynamoDB, SES and
EventBridge statements with "*", so the resource-scoped policies SAM writes deny everything.
Instead:
- a recorder sees every botocore call in this process (boto3's default session, fresh sessions
  such as PynamoDB's and Powertools', through botocore.handlers.BUILTIN_HANDLERS);
- local/iam_actions maps (service, operation, parameters) to the IAM action(s) and resource ARN(s)
  AWS authorises;
- local/iam_policy evaluates them against the function's role from the SAM-transformed template.
A refused call never reaches moto: botocore raises the ClientError AWS sends (AccessDeniedException,
AccessDenied, AuthorizationError) with AWS's status. Like AWS, S3 answers a read of a missing object
with AccessDenied (403) instead of NoSuchKey when the role may not list the bucket.

Calls outside `acting_as` (provisioning, seeding, the dispatcher's polling, test assertions) are
neither checked nor recorded. Never packaged into a Lambda: this is local tooling.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import botocore.handlers
from botocore.awsrequest import AWSResponse

from local.iam_actions import Need, Place, needs
from local.iam_policy import Statement, evaluate, role_statements
from local.provision import LocalStack

# The error each service sends for a refused call: (code, HTTP status).
_DENIAL = {
    "dynamodb": ("AccessDeniedException", 400),
    "dynamodb-streams": ("AccessDeniedException", 400),
    "eventbridge": ("AccessDeniedException", 400),
    "kms": ("AccessDeniedException", 400),
    "sesv2": ("AccessDeniedException", 403),
    "lambda": ("AccessDeniedException", 403),
    "scheduler": ("AccessDeniedException", 403),
    "sns": ("AuthorizationError", 403),
}
_DEFAULT_DENIAL = ("AccessDenied", 403)
_log = logging.getLogger(__name__)  # S3, SQS, SES v1, STS, CloudWatch
_MISSING_OBJECT_CODES = {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}


@dataclass(frozen=True)
class SeenCall:
    """One kind of call a function made (counted in `calls_seen`)."""

    function: str
    service: str
    operation: str
    needs: tuple[Need, ...]
    allowed: bool


class _Guard:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.place = Place("aws", stack.region, stack.account)
        self.statements = role_statements(stack)

    def check(self, function: str, service: str, operation: str, params: dict[str, Any], prefix: str) -> list[Need]:
        """The needs this call's role does not meet (recorded either way)."""
        statements = self.statements[function]
        required = needs(service, operation, params, self.place, prefix)
        refused = [need for need in required if not evaluate(statements, need).allowed]
        with _seen_lock:
            _seen[SeenCall(function, service, operation, tuple(required), not refused)] += 1
        return refused

    def may_list(self, function: str, bucket: str) -> bool:
        """The implicit s3:ListBucket check of a read that found no object (recorded like a call)."""
        need = Need("s3:ListBucket", f"arn:{self.place.partition}:s3:::{bucket}")
        allowed = evaluate(self.statements[function], need).allowed
        with _seen_lock:
            _seen[SeenCall(function, "s3", "(missing object)", (need,), allowed)] += 1
        return allowed


_guard: _Guard | None = None
_install_lock = threading.Lock()
_acting: ContextVar[str | None] = ContextVar("privacydesk_iam_role", default=None)
_HOOKS: list[tuple[str, Any]] = []
# Kept across installs: a process that re-provisions still reports everything it exercised.
_seen: Counter[SeenCall] = Counter()
_seen_lock = threading.Lock()


def install(stack: LocalStack) -> None:
    """Hook every botocore client of this process (idempotent; a new stack replaces the old one)."""
    global _guard
    with _install_lock:
        _guard = _Guard(stack)
        if _HOOKS:
            return
        _HOOKS.extend(
            [
                ("before-parameter-build", _on_parameters),
                ("before-call", _on_call),
                ("after-call", _after_call),
            ]
        )
        import boto3

        default_session = boto3.DEFAULT_SESSION._session if boto3.DEFAULT_SESSION else None
        for event_name, handler in _HOOKS:
            botocore.handlers.BUILTIN_HANDLERS.append((event_name, handler))
            if default_session is not None:
                default_session.register(event_name, handler, unique_id=f"iam_guard.{event_name}")
    # Clients made before the hooks existed would not see them.
    try:
        from privacydesk.kernel.dynamo import bind_tables
        from privacydesk.kernel.settings import reload_settings
    except ImportError:  # pragma: no cover - the package is always installed with the stand-in
        return
    bind_tables(reload_settings())


@contextmanager
def acting_as(logical_id: str) -> Iterator[None]:
    """AWS calls made inside (in this thread or context) are checked against `logical_id`'s role."""
    if _guard is None:
        raise RuntimeError("local.iam_guard.install(stack) must run before acting_as")
    if logical_id not in _guard.statements:
        raise KeyError(f"{logical_id} is not a function of template.yaml")
    token = _acting.set(logical_id)
    try:
        yield
    finally:
        _acting.reset(token)


def calls_seen() -> dict[SeenCall, int]:
    """Every kind of call made inside `acting_as` in this process, with how often."""
    with _seen_lock:
        return dict(_seen)


def write_calls_seen(path: Path, **extra: Any) -> None:
    """Write `calls_seen()` (and `extra`, JSON-able) to `path` at once: a test worker's share of the
    unexercised-grant check, which another process reads (`read_calls_seen`)."""
    names = _stack_names()
    calls = [
        {
            "function": call.function,
            "service": call.service,
            "operation": call.operation,
            "needs": [[need.action, _portable(need.resource, names)] for need in call.needs],
            "allowed": call.allowed,
            "count": count,
        }
        for call, count in calls_seen().items()
    ]
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps({**extra, "calls": calls}), encoding="utf-8")
    partial.replace(path)  # a reader never sees half a file


def read_calls_seen(path: Path) -> tuple[Counter[SeenCall], dict[str, Any]]:
    """What `write_calls_seen` wrote: the calls with their counts, and the extra fields."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    tokens = {token: name for name, token in _stack_names()}
    calls: Counter[SeenCall] = Counter()
    for call in data.pop("calls"):
        needs = tuple(Need(action, _local(resource, tokens)) for action, resource in call["needs"])
        calls[SeenCall(call["function"], call["service"], call["operation"], needs, call["allowed"])] += call["count"]
    return calls, data


def _stack_names() -> list[tuple[str, str]]:
    """(a name of this stack's resources as ARNs hold it, a token for it that is the same in every
    stack), longest first. Each test worker provisions its own stack, whose generated names differ
    (tables, queues, buckets, keys, stream labels): calls travel between workers by token."""
    if _guard is None:
        return []
    pairs: dict[str, str] = {}
    for logical_id, physical in _guard.stack.physical.items():
        pairs[physical] = f"<<{logical_id}>>"
        if physical.startswith("https://"):  # a queue URL: ARNs hold the queue's name
            pairs[physical.rsplit("/", 1)[-1]] = f"<<{logical_id}/name>>"
    for logical_id, attributes in _guard.stack.attributes.items():
        for attribute, value in attributes.items():
            pairs[str(value)] = f"<<{logical_id}.{attribute}>>"
    usable = ((name, token) for name, token in pairs.items() if len(name) >= 8 and "," not in name)
    return sorted(usable, key=lambda pair: -len(pair[0]))


def _portable(resource: str, names: list[tuple[str, str]]) -> str:
    for name, token in names:
        resource = resource.replace(name, token)
    return resource


def _local(resource: str, tokens: dict[str, str]) -> str:
    return re.sub(r"<<[^<>]+>>", lambda found: tokens.get(found.group(0), found.group(0)), resource)


def statements() -> dict[str, list[Statement]]:
    """Each function's role statements, as the guard enforces them."""
    return dict(_guard.statements) if _guard is not None else {}


def _on_parameters(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    function = _acting.get()
    if _guard is None or function is None or "iam_guard" in context:
        return
    service_model = model.service_model
    service = service_model.service_id.hyphenize()
    prefix = service_model.signing_name or service_model.endpoint_prefix
    refused = _guard.check(function, service, model.name, params, prefix)
    context["iam_guard"] = {"function": function, "refused": refused, "service": service}
    if refused:  # ARNs and actions only: keys and names here are ids, never personal data
        _log.warning("IAM: %s may not %s on %s (template.yaml)", function, refused[0].action, refused[0].resource)
    if not refused and service == "s3" and model.name in ("GetObject", "HeadObject") and params.get("Bucket"):
        context["iam_guard"]["bucket"] = str(params["Bucket"])


def _on_call(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    decision = context.get("iam_guard")
    if not decision or not decision["refused"]:
        return None
    need: Need = decision["refused"][0]
    code, status = _DENIAL.get(decision["service"], _DEFAULT_DENIAL)
    message = (
        f"User: arn:aws:sts::{_guard.stack.account if _guard else ''}:assumed-role/{decision['function']}Role/"
        f"{decision['function']} is not authorized to perform: {need.action} on resource: {need.resource} "
        "because no identity-based policy allows the action (local IAM check, template.yaml)"
    )
    return _error(status, code, message)


def _after_call(http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    decision = context.get("iam_guard")
    if _guard is None or not decision or "bucket" not in decision or decision.get("missing_checked"):
        return
    decision["missing_checked"] = True  # the hooks may be registered twice on one client
    error = parsed.get("Error") or {}
    if error.get("Code") not in _MISSING_OBJECT_CODES:
        return
    # AWS answers a missing key with 404 only to a role that may list the bucket (an implicit check).
    may_list = _guard.may_list(decision["function"], decision["bucket"])
    if not may_list:
        head = error.get("Code") in ("404", "NotFound")
        parsed["Error"] = {
            "Code": "403" if head else "AccessDenied",
            "Message": "Forbidden" if head else "Access Denied",
        }
        parsed.setdefault("ResponseMetadata", {})["HTTPStatusCode"] = 403
        http_response.status_code = 403


def _error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    request_id = str(uuid.uuid4())
    http = AWSResponse("https://iam-guard.invalid/", status, {"x-amzn-RequestId": request_id}, BytesIO(b""))  # type: ignore[arg-type]
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return http, parsed
