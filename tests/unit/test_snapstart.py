"""SnapStart for the two APIs (template parameter ApiSnapStart): the snapshot holds every router, and
each sandbox restored from it renews what must not be shared. The hooks are run as the Lambda runtime
runs them, from snapshot_restore_py's registries."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from typing import Any

import pytest
from snapshot_restore_py import get_after_restore

from local import sam_template

pytestmark = pytest.mark.unit

API_FUNCTIONS = ("PublicApiFunction", "AdminApiFunction")


def _run_after_restore_hooks() -> None:
    for hook, args, kwargs in get_after_restore():
        hook(*args, **kwargs)


def test_only_the_apis_can_start_from_a_snapshot_and_only_when_the_parameter_says_so():
    template = sam_template.load()
    assert template["Parameters"]["ApiSnapStart"]["Default"] == "Disabled"
    assert template["Conditions"]["UsesApiSnapStart"] == {"Fn::Equals": [{"Ref": "ApiSnapStart"}, "Enabled"]}
    functions = {
        name: r["Properties"] for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
    }
    for name, props in functions.items():
        if name in API_FUNCTIONS:
            assert props["AutoPublishAlias"] == "live", name  # SnapStart applies to published versions only
            assert props["SnapStart"] == {"ApplyOn": {"Fn::If": ["UsesApiSnapStart", "PublishedVersions", "None"]}}
        else:
            assert "SnapStart" not in props, name


def test_the_snapshot_holds_every_router_of_both_apis():
    # A fresh interpreter, as Lambda's init phase: import the APIs, then run the before-snapshot hooks.
    script = """
import json
from snapshot_restore_py import get_before_snapshot
from privacydesk.http_api import admin, public
loaded_at_import = sorted(public.app._included | admin.app._included)
for hook, args, kwargs in get_before_snapshot():
    hook(*args, **kwargs)
print(json.dumps({
    "at_import": loaded_at_import,
    "missing": sorted({m for _, m in public.app.router_paths} - public.app._included)
    + sorted({m for _, m in admin.app.router_paths} - admin.app._included),
    "loaded": len(public.app._included) + len(admin.app._included),
}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["at_import"] == []  # without SnapStart, a cold start still pays only for its own router
    assert found["missing"] == []
    assert found["loaded"] >= 10


def test_a_restored_sandbox_reads_the_policy_version_in_force_not_the_snapshots():
    from privacydesk import bootstrap

    bootstrap._policy_cache["version"] = (time.monotonic(), "pv_from_the_snapshot")
    _run_after_restore_hooks()
    assert "version" not in bootstrap._policy_cache


def test_two_sandboxes_restored_from_one_snapshot_do_not_share_their_jitter():
    import privacydesk.kernel.snapshots  # noqa: F401 - registers the reseed

    snapshot = random.getstate()
    _run_after_restore_hooks()
    first = [random.random() for _ in range(4)]
    random.setstate(snapshot)  # the second sandbox starts from the same frozen state
    _run_after_restore_hooks()
    second = [random.random() for _ in range(4)]
    assert first != second
