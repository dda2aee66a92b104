"""`make tick`: fire every schedule on the running stand-in now (or one: FUNCTION=...)."""

from __future__ import annotations

import json
import os
import sys

import requests

from local.run import STACK_FILE


def main() -> int:
    if not STACK_FILE.exists():
        print("the stand-in is not running: start it with `make run`", file=sys.stderr)
        return 1
    api_url = json.loads(STACK_FILE.read_text())["api_url"]
    params = {"function": os.environ["FUNCTION"]} if os.environ.get("FUNCTION") else {}
    reply = requests.post(f"{api_url}/_local/tick", params=params, timeout=600)
    print(json.dumps(reply.json(), indent=2))
    return 0 if reply.ok else 1


if __name__ == "__main__":
    sys.exit(main())
