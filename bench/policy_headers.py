"""What the policy-headers middleware costs per request: none vs cached (60 s) vs a lookup every time.

Runs in-process under moto (DynamoDB query latency here is moto's, not AWS's; the ratio of
cached to uncached is what matters). Usage: .venv/bin/python -m bench.policy_headers [requests]
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import BenchResult, Figure
from tests.support.harness import fake_aws_environment


def _event() -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/v1/ping",
        "rawQueryString": "",
        "headers": {"host": "api.example.com"},
        "requestContext": {
            "domainName": "api.example.com",
            "http": {"method": "GET", "path": "/v1/ping", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1"},
            "requestId": "r",
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def main(count: int) -> None:
    fake_aws_environment()
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from moto import mock_aws

    from privacydesk.policy.adapters.policy_store import PolicyRepository, PolicyVersionRecord
    from privacydesk.policy.domain.policy import initial_policy
    from privacydesk.policy.entry.policy_headers import PolicyHeaders

    with mock_aws():
        PolicyVersionRecord.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        seed, _ = initial_policy()
        now = datetime.now(UTC)
        for n in range(6):  # a few years of versions
            PolicyRepository().publish(
                seed.model_copy(update={"version": f"v{n}", "effective_at": now - timedelta(days=400 - 60 * n)}), now
            )

        def app_with(middleware: list[Any]) -> APIGatewayHttpResolver:
            app = APIGatewayHttpResolver()
            app.use(middleware)

            @app.get("/v1/ping")
            def ping() -> dict[str, str]:
                return {"ok": "yes"}

            return app

        variants = {
            "no middleware": app_with([]),
            "middleware, cached 60 s": app_with([PolicyHeaders(policy_url="https://p/v1/policy")]),
            "middleware, lookup every request": app_with(
                [PolicyHeaders(policy_url="https://p/v1/policy", ttl_seconds=0)]
            ),
        }
        event = _event()
        medians: dict[str, float] = {}
        for name, app in variants.items():
            app.resolve(event, None)  # type: ignore[arg-type]  # warm (no Lambda context needed)
            samples = []
            for _ in range(count):
                started = time.perf_counter()
                app.resolve(event, None)  # type: ignore[arg-type]
                samples.append(time.perf_counter() - started)
            medians[name] = statistics.median(samples)
        base = medians["no middleware"]
        for name, median in medians.items():
            print(f"{name:36} median {median * 1e6:9.1f} µs   x{median / base:6.2f}")
        result = BenchResult("policy headers middleware", details={"requests": count})
        for name in ("middleware, cached 60 s", "middleware, lookup every request"):
            result.figures.append(
                Figure(name, medians[name] * 1e6, "µs", baseline=base * 1e6, baseline_label="no middleware")
            )
        result.emit()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
