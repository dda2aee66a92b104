"""First response: import the handler and serve one real event, in a fresh process, against DynamoDB
(moto's server on loopback standing in for DynamoDB Local), divided by a bare `import boto3` plus one
PutItem against the same server, measured the same way in the same run.

This is what a caller waits for on a cold start beyond Lambda's own init: our imports, the first
router, the settings check, the first clients and the first reads. The two APIs, and the two functions
whose domain loads with their first event rather than at init (the deadline monitor's hourly tick and
email intake's first message): cold_start.py measures their init alone, this their whole cold start.
Handler and baseline alternate, so both see the same load; the ratio is of process CPU time (wall time
in the note), as in cold_start.py, because on a shared two-core machine wall time also counts other
processes."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import BenchResult, Figure

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_FIRST_RESPONSE_RUNS", 7))

# (function, event file, what the reply must say: proof that it really ran, SnapStart-able)
CASES = (
    ("PublicApiFunction", "events/public_api/get_policy.json", 200, True),
    ("PublicApiFunction", "events/public_api/status.json", 404, True),  # unknown id: a real read, no item
    ("AdminApiFunction", "events/admin_api/list_verified.json", 200, True),
    ("DeadlineMonitorFunction", "events/deadline_monitor/scheduler_hourly.json", "checked", False),
    # each run reads its own copy of the seeded message: a repeat would be answered by idempotency
    ("EmailIntakeFunction", "events/email_intake/deletion_request.json", "request", False),
)
INBOUND_MESSAGE = "demo-ana-deletion-0001"

PROBE = """
import importlib.util, json, sys, time
{setup}
start, start_cpu = time.perf_counter(), time.process_time()
{body}
print(json.dumps({{"wall": time.perf_counter() - start, "cpu": time.process_time() - start_cpu, "status": status}}))
"""

IMPORT_HANDLER = """
spec = importlib.util.spec_from_file_location("handler", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""

# What a sandbox restored from a SnapStart snapshot has done before its first request: the init
# phase (the import) and the before-snapshot hooks at publish time, then the after-restore hooks.
SNAPSHOT_AND_RESTORE = """
from snapshot_restore_py import get_after_restore, get_before_snapshot
for hook, args, kwargs in get_before_snapshot():
    hook(*args, **kwargs)
for hook, args, kwargs in get_after_restore():
    hook(*args, **kwargs)
"""

CALL_HANDLER = """
class Context:
    function_name = {function!r}
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:" + {function!r}
    aws_request_id = "bench-first-response"
    def get_remaining_time_in_millis(self):
        return 30000

reply = module.lambda_handler(json.loads({event!r}), Context())
if isinstance(reply, dict) and "statusCode" in reply:
    status = reply["statusCode"]  # an API
elif "results" in reply:
    status = reply["results"][0]["outcome"]  # email intake: a request, a review entry or a rejection
else:
    status = "checked" if "overdue" in reply else reply  # the deadline monitor's summary
"""

BASELINE = """
import boto3
boto3.client("dynamodb").put_item(TableName={table!r}, Item={{"pk": {{"S": "bench"}}, "sk": {{"S": "bench"}}}})
status = 200
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _measure(body: str, env: dict[str, str], setup: str = "") -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup, body=body)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"probe failed: {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the server's request log

    from tests.support.harness import fake_aws_environment

    fake_aws_environment()
    from local.invoker import FunctionRunner
    from local.provision import provision
    from local.seed import seed_accounts, seed_inbound_mail, seed_policy

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        stack = provision(endpoint_url=endpoint)
        runner = FunctionRunner(stack)
        runner.activate()
        from datetime import UTC, datetime

        seed_policy(datetime.now(UTC))
        baseline_table = "bench-first-response"
        import boto3

        boto3.client("dynamodb").create_table(
            TableName=baseline_table,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        base_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), "LANG": "C.UTF-8"}
        result = BenchResult(
            "first response (cold import + one real event)",
            details={
                "runs_per_case": RUNS,
                "paired_baseline": True,
                "clock": "process CPU time",
                "store": "moto server on loopback (DynamoDB Local is not installable here)",
                "explanation": (
                    "Each case runs in a fresh process with exactly the function's environment from the "
                    "template: import the handler, then serve one event from events/ through it against "
                    "DynamoDB. The baseline process imports boto3 and makes one PutItem against the same "
                    "server. The ratio is of CPU time. The 'restored' cases model ApiSnapStart=Enabled: "
                    "the import and the before-snapshot hooks happen before the clock starts (at publish "
                    "time), the after-restore hooks and the request after it; Lambda's own restore time "
                    "is not in it."
                ),
            },
        )
        inbound = boto3.client("s3")
        inbound_bucket = runner.environment("EmailIntakeFunction")["INBOUND_BUCKET"]
        seed_accounts(datetime.now(UTC))  # the sender holds an account: the usual path, a request to verify
        seed_inbound_mail()
        for function, event_file, expected, snapshots in CASES:
            env = {**base_env, **runner.environment(function), "PYTHONDONTWRITEBYTECODE": "1"}
            event = (ROOT / event_file).read_text(encoding="utf-8")
            handler = str(runner.specs[function].code_dir / "handler.py")
            imported = IMPORT_HANDLER.format(path=handler)
            baseline_body = BASELINE.format(table=baseline_table)
            variants = {"cold": ("", imported)}
            if snapshots:
                variants["restored"] = (imported + SNAPSHOT_AND_RESTORE, "")
            runs: dict[str, list[dict[str, Any]]] = {"baseline": [], **{variant: [] for variant in variants}}
            for index in range(RUNS):
                runs["baseline"].append(_measure(baseline_body, env))
                for variant, (setup, body) in variants.items():
                    this_event = event
                    if INBOUND_MESSAGE in event:  # a message of its own, as SES stores it
                        message_id = f"bench-{variant}-{index}"
                        inbound.copy_object(
                            Bucket=inbound_bucket,
                            Key=f"inbound/{message_id}",
                            CopySource={"Bucket": inbound_bucket, "Key": f"inbound/{INBOUND_MESSAGE}"},
                        )
                        this_event = event.replace(INBOUND_MESSAGE, message_id)
                    call = CALL_HANDLER.format(function=function, event=this_event)
                    run = _measure(body + call, env, setup)
                    if run["status"] != expected:
                        raise RuntimeError(f"{function} {event_file}: answered {run['status']}, not {expected}")
                    runs[variant].append(run)
            base_cpu = statistics.median(r["cpu"] for r in runs["baseline"])
            base_wall = statistics.median(r["wall"] for r in runs["baseline"])
            for variant in variants:
                cpu = statistics.median(r["cpu"] for r in runs[variant])
                wall = statistics.median(r["wall"] for r in runs[variant])
                label = "" if variant == "cold" else " (restored from a SnapStart snapshot)"
                result.figures.append(
                    Figure(
                        f"{function} {Path(event_file).stem}{label}",
                        cpu * 1000,
                        "ms CPU",
                        baseline=base_cpu * 1000,
                        baseline_label="import boto3 + one PutItem",
                        goal="info: tracked, no goal yet",
                        note=f"wall {wall * 1000:.0f} ms vs {base_wall * 1000:.0f} ms",
                    )
                )
        runner.close()
        result.emit()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
