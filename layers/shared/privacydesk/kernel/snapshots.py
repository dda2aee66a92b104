"""Lambda SnapStart's runtime hooks, for the functions deployed with it (the two APIs, behind the
template's ApiSnapStart parameter).

With SnapStart, Lambda runs the init phase once when it publishes a version, snapshots the sandbox
and restores every new sandbox from that one snapshot. So the snapshot should hold the warm work (the
routers, their models) and each restored sandbox must renew what must not be shared: the `random`
state (backoff jitter would move in lockstep) and caches read from DynamoDB at snapshot time (the
policy version in force). `snapshot_restore_py` ships with the Lambda Python runtime; without it
(locally, or a function without SnapStart) registering does nothing and no hook runs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

Hook = Callable[[], Any]


def before_snapshot(hook: Hook) -> Hook:
    """Run `hook` in the init phase, before the snapshot is taken (SnapStart only)."""
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:
        return hook
    register_before_snapshot(hook)
    return hook


def after_restore(hook: Hook) -> Hook:
    """Run `hook` in every sandbox restored from the snapshot, before its first request (SnapStart only)."""
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:
        return hook
    register_after_restore(hook)
    return hook


@after_restore
def reseed_random() -> None:
    """Every restored sandbox gets its own jitter (the snapshot froze one `random` state for all)."""
    random.seed()
