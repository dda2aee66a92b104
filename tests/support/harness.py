"""Test harness: the template's stack under in-process moto, and helpers to call handlers
with the same events API Gateway, SQS, EventBridge and SES would send."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.gateway import build_event, resolve_route, routes_from_template
from local.invoker import InProcessRunner
from local.outbox import read_outbox
from local.provision import LocalStack

if TYPE_CHECKING:
    from local.streams import StreamDelivery

ROOT = Path(__file__).resolve().parents[2]
HARNESS_HOST = "127.0.0.1:3000"  # where the harness's HTTP calls claim to arrive, as the stand-in's would
HARNESS_API_URL = f"http://{HARNESS_HOST}"
HARNESS_SOURCE_IP = "203.0.113.9"  # the client address of calls that name none, until a test picks its own
_client_address = [HARNESS_SOURCE_IP]


def use_client_address(address: str) -> None:
    """The client address API Gateway reports for the calls that name none, from now on (tests/conftest.py
    gives each test its own, as separate people have: per-source limits count what one test does)."""
    _client_address[0] = address


EVENTS = ROOT / "events"
OUTBOX_FUNCTION = "RequestOutboxFunction"


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class Harness:
    """A provisioned stack (under mock_aws) plus the real handlers that template.yaml wires."""

    def __init__(self, stack: LocalStack, runner: InProcessRunner) -> None:
        self.stack = stack
        self.runner = runner
        self.routes = routes_from_template()
        self._streams: StreamDelivery | None = None
        self.delivers_outbox = True  # False: only the handler's own calls happen (call-counting benches)

    def physical(self, logical_id: str) -> str:
        return self.stack.physical[logical_id]

    def invoke(self, function: str, event: Any) -> Any:
        """Call a handler; then the outbox stream delivers what it committed (one attempt per
        record, as Lambda's poller would a moment later), even if the handler died."""
        try:
            return self.runner.invoke(function, event)
        finally:
            if self.delivers_outbox:
                self.deliver_outbox()

    def deliver_outbox(self, rounds: int = 1) -> int:
        """Let the request outbox's stream poller run `rounds` times; how many records it offered."""
        from local.streams import StreamDelivery

        if self._streams is None:
            self._streams = StreamDelivery(self.stack, self.runner.invoke)
        offered = total = sum(self._streams.poll(OUTBOX_FUNCTION) for _ in range(rounds))
        # Lambda's poller keeps reading while records wait: a backlog (one monitor run can commit
        # dozens of items) is delivered too, in batches, until a batch fails (then one attempt it was).
        sources = [s for s in self._streams.sources if s.function == OUTBOX_FUNCTION]
        for _ in range(BACKLOG_ROUNDS):
            if not offered or any(source.failures for source in sources):
                break
            offered = self._streams.poll(OUTBOX_FUNCTION)
            total += offered
        return total

    def http(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: str = "",
        identity: dict[str, str] | None = None,
        raw_body: bytes | None = None,
        source_ip: str | None = None,
    ) -> HttpReply:
        """Route like API Gateway, build a payload-2.0 event, and call the real handler.

        `identity` stands for a verified SigV4 caller; routes with AWS_IAM auth get 403 without it.
        `source_ip` is the client address API Gateway reports (per-source limits).
        """
        found = resolve_route(self.routes, method, path)
        if found is None:
            return HttpReply(404, {}, '{"message":"Not Found"}')
        route, params = found
        if route.iam and identity is None:
            return HttpReply(403, {}, '{"message":"Forbidden"}')
        all_headers = {"host": HARNESS_HOST, "user-agent": "pytest", **(headers or {})}
        payload = raw_body if raw_body is not None else (b"" if body is None else json.dumps(body).encode())
        if payload and "content-type" not in {k.lower() for k in all_headers}:
            all_headers["content-type"] = "application/json"
        event = build_event(
            route,
            params,
            method,
            path,
            query,
            {k.lower(): v for k, v in all_headers.items()},
            payload,
            source_ip or _client_address[0],
            identity,
        )
        result = self.invoke(route.function, event)
        reply_headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        return HttpReply(int(result["statusCode"]), reply_headers, result.get("body") or "")

    def outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        messages = read_outbox(self.stack.account, self.stack.region)
        return [m for m in messages if to is None or to in m["to"]]


BACKLOG_ROUNDS = 200  # batches the outbox poller may deliver after a call, at most

ADMIN_IDENTITY = {"accessKey": "testing", "userArn": "arn:aws:iam::123456789012:user/dpo", "userId": "dpo"}


def event_file(relative: str) -> Any:
    return json.loads((EVENTS / relative).read_text())


def fake_aws_environment() -> None:
    """moto's fake credentials for in-process `mock_aws`, and nothing else: whatever a function
    needs comes from template.yaml through the runner, as on Lambda."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SECURITY_TOKEN": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "ap-southeast-1",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)


def share_botocore_data_loader() -> None:
    """Every botocore session of this process reads botocore's JSON models through one loader.

    The in-process runner re-binds the PynamoDB models whenever it switches function (each function
    sees its own tables), and PynamoDB gives every new connection a fresh botocore session, whose
    own loader parses the DynamoDB model and endpoint rules again: about 0.1 s a client, most of
    what a fault test spent. The loader only caches read-only files, so sharing it changes no
    client's behaviour; each session still has its own event hooks (the fault injector's included).
    """
    import botocore.loaders
    import botocore.session

    if getattr(botocore.session.create_loader, "shared", False):
        return
    loaders: dict[str | None, botocore.loaders.Loader] = {}
    create = botocore.loaders.create_loader

    def shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = create(search_path_string)
        return loaders[search_path_string]

    shared_loader.shared = True  # type: ignore[attr-defined]
    botocore.session.create_loader = shared_loader
