"""Intake cost: AWS calls per API request (goal <= 2 DynamoDB calls), counted under moto through
the real public_api handler. Counts are machine-independent; no timing here."""

from __future__ import annotations

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
    original = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        calls[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _by_service(calls: Counter[str], service: str) -> int:
    return sum(n for key, n in calls.items() if key.startswith(f"{service}:"))


def main() -> None:
    from moto import mock_aws

    from tests.support.harness import Harness, fake_aws_environment

    fake_aws_environment()
    from local.invoker import FunctionRunner
    from local.provision import provision
    from local.seed import seed_all

    with mock_aws():
        stack = provision()
        runner = FunctionRunner(stack, extra_env={"PUBLIC_BASE_URL": "http://127.0.0.1:3000"})
        runner.activate()
        seed_all()
        harness = Harness(stack, runner)
        harness.delivers_outbox = False  # the outbox consumer's calls are counted by bench/outbox_lag.py
        harness.http("POST", "/v1/requests", {"type": "access", "email": "warm@example.org"})  # warm caches
        with counting_calls() as calls:
            for _ in range(REQUESTS):
                reply = harness.http(
                    "POST", "/v1/requests", {"type": "access", "email": f"{uuid.uuid4().hex}@example.org"}
                )
                assert reply.status == 202, reply.body
        with counting_calls() as keyed:
            for _ in range(REQUESTS):
                harness.http(
                    "POST",
                    "/v1/requests",
                    {"type": "inquiry", "email": f"{uuid.uuid4().hex}@example.org", "details": "?"},
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
    result = BenchResult(
        "intake (AWS calls per API request)",
        details={"requests": REQUESTS, "calls": dict(calls), "with_idempotency_key": dict(keyed)},
    )
    ddb = _by_service(calls, "dynamodb") / REQUESTS
    result.figures.append(Figure("DynamoDB calls / request", ddb, "calls", goal="<= 2", ok=ddb <= 2))
    result.figures.append(Figure("SES calls / request", _by_service(calls, "sesv2") / REQUESTS, "calls"))
    result.figures.append(Figure("EventBridge calls / request", _by_service(calls, "events") / REQUESTS, "calls"))
    result.figures.append(
        Figure(
            "DynamoDB calls / request with Idempotency-Key",
            _by_service(keyed, "dynamodb") / REQUESTS,
            "calls",
            note="Powertools idempotency adds its own record (put + update)",
        )
    )
    result.emit()


if __name__ == "__main__":
    main()
