"""Where every emailed or header link points, decided in one place (settings.link_base_url)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from privacydesk.kernel import settings

pytestmark = pytest.mark.unit


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    monkeypatch.setenv("API_BASE_URL", "")
    yield monkeypatch
    monkeypatch.undo()
    settings.reload_settings()


def _base(monkeypatch: pytest.MonkeyPatch, host: str | None = None, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.reload_settings()
    return settings.link_base_url(host)


def test_the_public_base_url_parameter_wins(configured: pytest.MonkeyPatch):
    base = _base(
        configured, "abc.execute-api.example", PUBLIC_BASE_URL="https://privacy.example/", API_BASE_URL="https://x"
    )
    assert base == "https://privacy.example"


def test_without_it_an_http_call_links_to_the_host_it_came_in_on_over_https(configured: pytest.MonkeyPatch):
    assert _base(configured, "abc.execute-api.ap-southeast-1.amazonaws.com") == (
        "https://abc.execute-api.ap-southeast-1.amazonaws.com"
    )


def test_the_local_stand_in_on_loopback_is_linked_over_http(configured: pytest.MonkeyPatch):
    assert _base(configured, "127.0.0.1:3000") == "http://127.0.0.1:3000"
    assert _base(configured, "localhost:3000") == "http://localhost:3000"


def test_outside_an_http_call_links_go_to_the_apis_own_url(configured: pytest.MonkeyPatch):
    assert _base(configured, API_BASE_URL="https://abc.execute-api.ap-southeast-1.amazonaws.com/") == (
        "https://abc.execute-api.ap-southeast-1.amazonaws.com"
    )
