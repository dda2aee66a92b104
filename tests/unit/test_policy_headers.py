"""The reusable policy-headers middleware: cheap (cached per container) and never breaks a reply."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from privacydesk.policy.entry.policy_headers import PolicyHeaders

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Versions:
    def __init__(self, *versions: str) -> None:
        self.versions = list(versions)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.versions[min(self.calls, len(self.versions)) - 1]


def _event(path: str = "/orders") -> dict:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "api.company.example"},
        "requestContext": {
            "domainName": "api.company.example",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.1",
                "userAgent": "t",
            },
            "requestId": "r",
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def _app(headers: PolicyHeaders) -> APIGatewayHttpResolver:
    """A company API that is not PrivacyDesk, reusing the middleware from the layer."""
    app = APIGatewayHttpResolver()
    app.use([headers])

    @app.get("/orders")
    def orders() -> dict:
        return {"orders": []}

    return app


def test_a_company_api_gets_the_link_and_the_version():
    headers = PolicyHeaders(
        policy_url="https://privacy.company.example/v1/policy", current_version=Versions("2026-01-01")
    )
    reply = _app(headers).resolve(_event(), None)
    assert reply["headers"]["Link"] == '<https://privacy.company.example/v1/policy>; rel="privacy-policy"'
    assert reply["headers"]["X-Privacy-Policy-Version"] == "2026-01-01"


def test_the_version_is_looked_up_at_most_once_a_minute_per_container():
    clock, versions = Clock(), Versions("2025-11-30", "2026-01-01")
    app = _app(PolicyHeaders(policy_url="https://p.example/v1/policy", current_version=versions, monotonic=clock))
    assert app.resolve(_event(), None)["headers"]["X-Privacy-Policy-Version"] == "2025-11-30"
    clock.now += 59
    assert app.resolve(_event(), None)["headers"]["X-Privacy-Policy-Version"] == "2025-11-30"
    assert versions.calls == 1
    clock.now += 2
    assert app.resolve(_event(), None)["headers"]["X-Privacy-Policy-Version"] == "2026-01-01"
    assert versions.calls == 2


def test_a_failed_lookup_keeps_the_reply_and_the_link():
    def broken() -> str:
        raise ConnectionError("table unreachable")

    reply = _app(PolicyHeaders(policy_url="https://p.example/v1/policy", current_version=broken)).resolve(
        _event(), None
    )
    assert reply["statusCode"] == 200
    assert reply["headers"]["Link"] == '<https://p.example/v1/policy>; rel="privacy-policy"'
    assert "X-Privacy-Policy-Version" not in reply["headers"]


def test_without_a_configured_url_the_link_points_at_the_api_itself(monkeypatch: pytest.MonkeyPatch):
    from privacydesk.kernel import settings

    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    settings.reload_settings()
    try:
        reply = _app(PolicyHeaders(current_version=Versions("v"))).resolve(_event(), None)
        assert reply["headers"]["Link"] == '<https://api.company.example/v1/policy>; rel="privacy-policy"'
    finally:
        monkeypatch.undo()
        settings.reload_settings()
