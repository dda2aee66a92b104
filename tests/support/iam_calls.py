"""The unexercised-grant check across pytest workers (tests/conftest.py, test_iam_unexercised_grants.py).

Each worker writes, as its session ends, the calls its handlers made (local/iam_guard.py) and the
in-process test files it ran to `<run dir>/<worker id>.json`. The check runs on one worker, handed
out last; it waits for every other worker's file, and fails at once when the controller marked a
worker as dead (`<worker id>.down`), or after `WAIT_SECONDS` when a file never comes.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.iam_guard import SeenCall

DOWN_SUFFIX = ".down"
# Longer than whatever another worker may still run when the check starts (the whole stand-in group,
# at worst, on a loaded machine): a dead worker fails the check at once (its `.down` mark) anyway.
WAIT_SECONDS = 2 * 60 * 60


class MissingCalls(AssertionError):
    """A worker's calls cannot be read: the run cannot be judged."""


def write(path: Path, files: list[str]) -> None:
    """This worker's calls and the in-process files it ran (a worker with no handler call imported
    no IAM guard: it writes its files list alone)."""
    if "local.iam_guard" not in sys.modules:
        partial = path.with_name(f".{path.name}.tmp")
        partial.write_text(json.dumps({"files": files, "calls": []}), encoding="utf-8")
        partial.replace(path)  # the check never reads half a file
        return
    from local import iam_guard

    iam_guard.write_calls_seen(path, files=files)


def other_workers(workerinput: dict[str, Any]) -> list[str]:
    """The ids of the run's other workers (xdist names them gw0, gw1, ...)."""
    return [f"gw{index}" for index in range(int(workerinput["workercount"])) if f"gw{index}" != workerinput["workerid"]]


def gather(
    calls_dir: Path, workers: list[str], wait_seconds: float = WAIT_SECONDS, poll_seconds: float = 0.5
) -> tuple[Counter[SeenCall], set[str]]:
    """Every named worker's calls (summed) and in-process files, once each has written them."""
    from local import iam_guard

    calls: Counter[SeenCall] = Counter()
    files: set[str] = set()
    deadline = time.monotonic() + wait_seconds
    for worker in workers:
        path = calls_dir / f"{worker}.json"
        while not path.exists():
            down = calls_dir / f"{worker}{DOWN_SUFFIX}"
            if down.exists():
                raise MissingCalls(f"worker {worker} went down before writing its calls: {down.read_text()}")
            if time.monotonic() > deadline:
                raise MissingCalls(f"worker {worker} wrote no calls file in {calls_dir} within {wait_seconds:.0f} s")
            time.sleep(poll_seconds)
        seen, extra = iam_guard.read_calls_seen(path)
        calls.update(seen)
        files.update(extra["files"])
    return calls, files
