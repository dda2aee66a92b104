"""`make invoke FN=<LogicalId> EVENT=events/<file>.json`: run one function's real handler
against the running stand-in, in its own process with the environment template.yaml gives it,
as `sam local invoke -e` does where Docker exists. Exits non-zero when the function fails."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from local.run import STACK_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("function", help="logical id in template.yaml, e.g. PublicApiFunction")
    parser.add_argument("event", type=Path, help="event file, e.g. events/public_api/get_policy.json")
    parser.add_argument("--stack-file", type=Path, default=STACK_FILE)
    args = parser.parse_args(argv)
    if not args.stack_file.exists():
        parser.error(f"{args.stack_file} not found: start the stand-in first with `make run`")
    stack_data = json.loads(args.stack_file.read_text())
    # moto's fake credentials, set before anything imports boto3 (the stand-in only).
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})  # nosec B105

    from local.invoker import FunctionError, FunctionRunner
    from local.provision import LocalStack

    runner = FunctionRunner(LocalStack.from_json(stack_data))
    try:
        result = runner.invoke(args.function, json.loads(args.event.read_text()))
    except FunctionError as error:
        print(f"FAILED {error}", file=sys.stderr)
        return 1
    except KeyError as error:
        print(f"FAILED {error.args[0]}", file=sys.stderr)
        return 2
    finally:
        runner.close()
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
