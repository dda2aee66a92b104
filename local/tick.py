"""`make tick`: fire every schedule on the running stand-in now (or one: FUNCTION=...).

Exits non-zero when a function failed, during the scheduled runs or the work they queued,
naming each function and its error."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import requests

from local.run import STACK_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack-file", type=Path, default=STACK_FILE)
    parser.add_argument("--function", default=os.environ.get("FUNCTION") or None, help="one function's schedules")
    args = parser.parse_args(argv)
    if not args.stack_file.exists():
        print("the stand-in is not running: start it with `make run`", file=sys.stderr)
        return 1
    api_url = json.loads(args.stack_file.read_text())["api_url"]
    params = {"function": args.function} if args.function else {}
    reply = requests.post(f"{api_url}/_local/tick", params=params, timeout=600)
    if not reply.ok:
        print(f"tick failed: HTTP {reply.status_code}: {reply.text[:2000]}", file=sys.stderr)
        return 1
    outcome = reply.json()
    print(json.dumps(outcome, indent=2))
    failed = outcome.get("failed", [])
    for failure in failed:
        print(f"FAILED {failure['function']}: {failure['error']}: {failure['message']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
