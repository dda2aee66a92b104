"""Every route of every router is reached by its own app's path pattern, so including routers on
first use can never turn a real route into a 404."""

from __future__ import annotations

import re
from importlib import import_module
from pathlib import Path

import pytest

from privacydesk.api.admin import app as admin_app
from privacydesk.api.lazy_routers import LazyRoutersResolver
from privacydesk.api.public import app as public_app

pytestmark = pytest.mark.unit

API_DIR = Path(import_module("privacydesk.api").__file__ or "").parent
APPS = {"admin": admin_app, "public": public_app}


def _sample_path(rule: str) -> str:
    return re.sub(r"<(\w+)>", "sample-id", rule)


@pytest.mark.parametrize("app_name", sorted(APPS))
def test_each_route_of_a_router_is_reached_by_its_own_pattern(app_name: str):
    app = APPS[app_name]
    for module in {module for _, module in app.router_paths}:
        router = import_module(module).router
        for rule, *_ in router._routes:  # Powertools keeps (rule, methods, ...) keys here
            assert app.router_module_for(_sample_path(rule)) == module, (module, rule)


def test_every_router_module_belongs_to_an_app():
    declared = {module for app in APPS.values() for _, module in app.router_paths}
    package = API_DIR.parent
    candidates = [*API_DIR.glob("*.py"), *package.glob("*/entry/*.py")]  # old layout, and capabilities' entry/
    on_disk = {
        ".".join(("privacydesk", *path.relative_to(package).with_suffix("").parts))
        for path in candidates
        if re.search(r"^router = ", path.read_text(encoding="utf-8"), re.M)
    }
    assert on_disk == declared


def test_a_path_no_router_serves_loads_nothing():
    app = LazyRoutersResolver(routers=(("/v1/things*", "privacydesk.api.policy_routes"),))
    assert app.router_module_for("/v1/other") is None
    assert app.router_module_for("/v1/things/1") == "privacydesk.api.policy_routes"
