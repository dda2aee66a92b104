"""Access matrix over every route the apps declare: unsigned admin calls get 403 from the gateway,
and on every public {id} route someone else's status token gets 404."""

from __future__ import annotations

import re

import pytest
import requests

from privacydesk.http_api.admin import app as admin_app
from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e


def _admin_routes() -> list[tuple[str, str]]:
    admin_app.include_all_routers()  # routers are otherwise included on first use
    routes = admin_app._static_routes + admin_app._dynamic_routes  # Powertools keeps its routes here
    found = set()
    for route in routes:
        path = re.sub(r"<(\w+)>", "example-id", route.path)
        found.add((route.method, path))
    return sorted(found)


@pytest.mark.parametrize(("method", "path"), _admin_routes(), ids=lambda v: str(v))
def test_every_admin_route_refuses_an_unsigned_call(running: RunningStack, method: str, path: str):
    reply = requests.request(method, f"{running.api}{path}", json={}, timeout=30)
    assert reply.status_code == 403, (method, path, reply.text)


def test_the_matrix_covers_the_admin_api():
    assert len(_admin_routes()) >= 20


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("POST", "/cancel")])
def test_public_id_routes_answer_404_to_another_requesters_token(running: RunningStack, method: str, suffix: str):
    mine = requests.post(
        f"{running.api}/v1/requests", json={"type": "access", "email": "matrix-a@example.org"}, timeout=30
    )
    theirs = requests.post(
        f"{running.api}/v1/requests", json={"type": "access", "email": "matrix-b@example.org"}, timeout=30
    )
    token = mine.json()["status_token"] or "not-a-token"
    reply = requests.request(
        method,
        f"{running.api}/v1/requests/{theirs.json()['request_id']}{suffix}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "request_not_found"
