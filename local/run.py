"""`make run`: PrivacyDesk on its embedded AWS stand-in, in the foreground until Ctrl-C.

moto server on loopback -> every template.yaml resource -> demo data -> the HTTP API on
:3000 (real handlers, each function in its own worker process: local/invoker.py), SMTP on :2525,
SQS/EventBridge/schedule delivery, and the outbox.
Writes .local/stack.json so tools and tests can find everything; moto's request log goes to
.local/moto.log (next to the stack file), so the console shows the banner, functions' logs and errors.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.sam_template import ROOT

if TYPE_CHECKING:
    from local.dispatcher import Dispatcher

STACK_FILE = ROOT / ".local" / "stack.json"


def log_moto_requests_to(path: Path) -> Path:
    """moto's request log (werkzeug's, a line per AWS call) into a file, off the console."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("werkzeug", "moto"):
        moto_logger = logging.getLogger(name)
        moto_logger.handlers[:] = [handler]
        moto_logger.setLevel(logging.INFO)
        moto_logger.propagate = False
    return path


def settle_streams(dispatcher: Dispatcher, timeout: float) -> None:
    """Poll the DynamoDB stream sources until they offer nothing new (or `timeout` passes)."""
    deadline = time.monotonic() + timeout
    while dispatcher.streams.poll() > 0 and time.monotonic() < deadline:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PRIVACYDESK_PORT", 3000)))
    parser.add_argument("--smtp-port", type=int, default=int(os.environ.get("PRIVACYDESK_SMTP_PORT", 2525)))
    parser.add_argument(
        "--aws-port", type=int, default=int(os.environ.get("PRIVACYDESK_AWS_PORT", 0)), help="moto port (0: any free)"
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=int(os.environ.get("PRIVACYDESK_DEMO_ACCOUNTS", 0)),
        help="synthetic demo accounts to add to the named demo accounts",
    )
    parser.add_argument("--stack-file", type=Path, default=STACK_FILE)
    parser.add_argument(
        "--retry-after",
        type=int,
        default=None,
        help="seconds before a failed SQS message is retried (default: the queue's VisibilityTimeout)",
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="Key=Value",
        help="template parameters as `sam deploy --parameter-overrides` takes them (DataMapFile=datamap.services.yaml)",
    )
    args = parser.parse_args(argv)
    from local.provision import ParameterError, parse_parameter_overrides

    try:
        overrides = parse_parameter_overrides(args.parameter_overrides)
    except ParameterError as error:
        parser.error(str(error))
    if args.host not in ("127.0.0.1", "localhost"):
        parser.error("the stand-in listens on loopback only")

    # moto's fake credentials, set before anything imports boto3 (the stand-in only).
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})  # nosec B105
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    print("starting the local AWS stand-in (moto) and creating every resource in template.yaml ...", flush=True)
    moto_log = log_moto_requests_to(args.stack_file.parent / "moto.log")
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=args.aws_port, verbose=False)
    moto.start()
    aws_host, aws_port = moto.get_host_and_port()
    endpoint = f"http://{aws_host}:{aws_port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint

    from local.dispatcher import Dispatcher
    from local.gateway import LocalApi
    from local.invoker import LOCAL_CREDENTIALS, FunctionRunner
    from local.outbox import read_outbox
    from local.provision import provision, write_stack_file
    from local.seed import seed_all
    from local.smtp import start_smtp

    with warnings.catch_warnings(record=True) as moto_warnings:
        # moto's "not supported by CloudFormation" notes belong with its log, not on the console
        warnings.simplefilter("always")
        stack = provision(region=os.environ["AWS_DEFAULT_REGION"], endpoint_url=endpoint, parameter_overrides=overrides)
    for caught in moto_warnings:
        logging.getLogger("moto").warning("%s", caught.message)
    api_url = f"http://{args.host}:{args.port}"
    stack.api_url = api_url  # the HTTP API's own URL, as functions see it (links in emails)
    runner = FunctionRunner(stack)
    runner.activate()  # this process seeds the demo data; each function runs in its own worker
    print("seeding the demo data ...", flush=True)
    seed_all(extra_accounts=args.accounts)
    dispatcher = Dispatcher(runner, retry_after_seconds=args.retry_after)
    dispatcher.start()

    def outbox(method: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        # Links, codes and notices go from the request outbox's stream a moment after the reply
        # (issue 16): let the stream deliver what was committed first, so a reader sees what they
        # would a moment later on AWS (`?settle=0`: as it stands). Bounded: a record that keeps
        # failing is left to the dispatcher's own polls.
        if query.get("settle") != "0":
            settle_streams(dispatcher, timeout=10.0)
        messages = read_outbox(stack.account, stack.region)
        if "to" in query:
            messages = [m for m in messages if query["to"] in m["to"]]
        return 200, messages

    def tick(method: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        if method != "POST":
            return 405, {"error": {"code": "method_not_allowed", "message": "POST to fire schedules"}}
        mark = len(dispatcher.failures)
        fired = dispatcher.tick(query.get("function"))
        dispatcher.drain()
        # What the schedules set off (queued work) counts too: `make tick` fails when any of it did.
        return 200, {"fired": fired, "failed": dispatcher.failures_since(mark)}

    def drain(method: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        dispatcher.drain(timeout=float(query.get("timeout", 60)))
        return 200, {"drained": True}

    def stack_info(method: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        return 200, json.loads(args.stack_file.read_text())

    api = LocalApi(
        (args.host, args.port),
        runner,
        {
            "/_local/outbox": outbox,
            "/_local/tick": tick,
            "/_local/drain": drain,
            "/_local/stack": stack_info,
        },
    )
    threading.Thread(target=api.serve_forever, daemon=True).start()
    smtp = start_smtp(runner, args.smtp_port)

    write_stack_file(
        stack,
        args.stack_file,
        api_url=api_url,
        smtp={"host": args.host, "port": args.smtp_port},
        credentials={
            "aws_access_key_id": LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        },
        functions=sorted(runner.specs),
    )
    print(
        "\nPrivacyDesk is running on its local AWS stand-in\n"
        f"  privacy page    {api_url}/privacy\n"
        f"  public API      {api_url}/v1/policy   (OpenAPI: {api_url}/v1/openapi.json)\n"
        f"  admin API       {api_url}/v1/admin/... (SigV4, local credentials)\n"
        f"  SMTP inbound    {args.host}:{args.smtp_port}\n"
        f"  outbox          {api_url}/_local/outbox\n"
        f"  schedules       POST {api_url}/_local/tick   (make tick)\n"
        f"  AWS endpoint    {endpoint}  (region {stack.region})\n"
        f"  stack file      {args.stack_file}\n"
        f"  moto's log      {moto_log}\n"
        "Ctrl-C stops everything.\n",
        flush=True,
    )

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    print("stopping...", flush=True)
    dispatcher.stop()
    smtp.stop()
    api.shutdown()
    runner.close()
    moto.stop()
    args.stack_file.unlink(missing_ok=True)
    time.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
