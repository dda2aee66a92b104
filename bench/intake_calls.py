"""Intake cost: AWS calls per API request (goal <= 7 DynamoDB calls: 2 before issue 14's per-person
send counter, 3 before the per-source limits of SECURITY.md 4b, 6 before the source's hourly cap),
and per wrong-token verify, counted under moto through the real public_api handler. Each request
comes from an address of its own, as different people ask. Counts are machine-independent; no
timing here."""

from __future__ import annotations

import itertools
import os
import uuid
from collections import Counter
from contextlib import contextmanager
from typing import Any

from bench.common import BenchResult, Figure

REQUESTS = int(os.environ.get("BENCH_INTAKE_REQUESTS", 20))


@contextmanager
def counting_calls():
    """Count every botocore API call (boto3 and PynamoDB both go through BaseClient)."""
    from botocore.client import BaseClient

    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # botocore's one door, not in its stubs

    def counted(self: Any, operation: str, params: Any) -> Any:
        calls[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counted  # type: ignore[attr-defined]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[attr-defined]


def _by_service(calls: Counter[str], service: str) -> int:
    return sum(n for key, n in calls.items() if key.startswith(f"{service}:"))


def main() -> None:
    from moto import mock_aws

    from tests.support.harness import Harness, fake_aws_environment, use_client_address

    fake_aws_environment()
    from local.invoker import InProcessRunner
    from local.provision import provision
    from local.seed import seed_all

    with mock_aws():
        stack = provision()
        stack.api_url = "http://127.0.0.1:3000"
        runner = InProcessRunner(stack)
        runner.activate()
        seed_all()
        harness = Harness(stack, runner)
        harness.delivers_outbox = False  # the outbox consumer's calls are counted by bench/outbox_lag.py
        # Each request from an address of its own, as different people ask (per-source limits, SECURITY.md 4b).
        addresses = (f"198.18.{n // 250}.{n % 250 + 1}" for n in itertools.count())
        harness.http("POST", "/v1/requests", {"type": "access", "email": "warm@example.org"})  # warm caches
        with counting_calls() as calls:
            for _ in range(REQUESTS):
                use_client_address(next(addresses))
                reply = harness.http(
                    "POST", "/v1/requests", {"type": "access", "email": f"{uuid.uuid4().hex}@example.org"}
                )
                assert reply.status == 202, reply.body
        pending = []
        for _ in range(REQUESTS):
            use_client_address(next(addresses))
            address = f"{uuid.uuid4().hex}@example.org"
            receipt = harness.http("POST", "/v1/requests", {"type": "access", "email": address}).json()
            pending.append(receipt["request_id"])
        with counting_calls() as verifying:
            for request_id in pending:  # a wrong token: the path an attacker drives
                use_client_address(next(addresses))
                harness.http("POST", f"/v1/requests/{request_id}/verify", {"token": "wrong"})
        with counting_calls() as keyed:
            for _ in range(REQUESTS):
                use_client_address(next(addresses))
                harness.http(
                    "POST",
                    "/v1/requests",
                    {"type": "inquiry", "email": f"{uuid.uuid4().hex}@example.org", "details": "?"},
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
    result = BenchResult(
        "intake (AWS calls per API request)",
        details={
            "requests": REQUESTS,
            "calls": dict(calls),
            "verify_wrong_token": dict(verifying),
            "with_idempotency_key": dict(keyed),
        },
    )
    ddb = _by_service(calls, "dynamodb") / REQUESTS
    # Issue 14: the per-person send counter is one conditional UpdateItem (scope checks are pure).
    # SECURITY.md 4b: the source's count of the person (UpdateItem), and for a send its share (read, count);
    # the source's hourly count of every submission (UpdateItem).
    result.figures.append(
        Figure(
            "DynamoDB calls / request",
            ddb,
            "calls",
            goal="<= 7",
            ok=ddb <= 7,
            note="query by person + create transaction + the send counter (issue 14) + the source's "
            "count of the person, its share read and counted (4b: +3) + the source's hourly count (+1)",
        )
    )
    verify_ddb = _by_service(verifying, "dynamodb") / REQUESTS
    result.figures.append(
        Figure(
            "DynamoDB calls / wrong-token verify",
            verify_ddb,
            "calls",
            note="challenge read, then the request and the person counted (issue 14: +1); the source's "
            "token bucket read and spent (4b: +2; the right secret also gives its token back: +2)",
        )
    )
    result.figures.append(
        Figure(
            "SES calls / request",
            _by_service(calls, "sesv2") / REQUESTS,
            "calls",
            note="0 since issue 16: the link is committed to the outbox and request_outbox sends it",
        )
    )
    result.figures.append(Figure("EventBridge calls / request", _by_service(calls, "events") / REQUESTS, "calls"))
    result.figures.append(
        Figure(
            "DynamoDB calls / request with Idempotency-Key",
            _by_service(keyed, "dynamodb") / REQUESTS,
            "calls",
            note="Powertools idempotency adds its own record (put + update); an inquiry's receipt spends "
            "the send counter (issue 16: +1)",
        )
    )
    result.emit()


if __name__ == "__main__":
    main()
