"""Monthly AWS cost for 100k accounts, 10k requests a year, 4 significant notices a year and 50M
log items under retention, computed from the calls the other benchmarks counted.

Prices: AWS list prices for US East (N. Virginia), on-demand, as published by AWS (DynamoDB on-demand
after its November 2024 reduction), read on 2026-11-28 from stored copies of the pricing pages.
Asia Pacific (Singapore), closest to Manila, lists about 10-25% higher: scale the total accordingly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.common import BenchResult, Figure

PRICES_DATE = "2026-11-28"
PRICES = {
    "dynamodb_write_per_million": 0.625,  # write request units (a transactional write costs 2)
    "dynamodb_read_per_million": 0.125,  # read request units (eventually consistent = 0.5)
    "dynamodb_storage_gb_month": 0.25,
    "ses_per_thousand_emails": 0.10,
    "lambda_per_million_requests": 0.20,
    "lambda_arm_gb_second": 0.0000133334,
    "sqs_per_million": 0.40,
    "eventbridge_per_million_events": 1.00,
    "s3_storage_gb_month": 0.023,
    "kms_key_month": 1.00,
    "cloudwatch_logs_ingest_gb": 0.50,
    # SnapStart for Python (the ApiSnapStart parameter): the cache, billed per GB-second while a
    # version is active (3 hours minimum), and each restore, per GB restored.
    "snapstart_cache_gb_second": 0.0000015046,
    "snapstart_restore_gb": 0.0001397998,
}

WORKLOAD = {
    "accounts": 100_000,
    "requests_per_year": 10_000,
    "significant_notices_per_year": 4,
    "log_items_under_retention": 50_000_000,
    "log_item_bytes": 400,
    "log_items_expiring_per_month": 50_000_000 / 6,  # message logs roll over every 180 days
}

RESULTS = Path(os.environ.get("BENCH_RESULTS", ".bench/results.json"))


def _counted(name: str, metric: str, default: float) -> tuple[float, str]:
    if RESULTS.exists():
        for result in json.loads(RESULTS.read_text()):
            if result["name"].startswith(name):
                for figure in result["figures"]:
                    if figure["metric"] == metric:
                        return float(figure["value"]), "counted"
    return default, "assumed"


def main() -> None:
    per_month = 1 / 12
    requests = WORKLOAD["requests_per_year"] * per_month
    intake_ddb, intake_source = _counted("intake", "DynamoDB calls / request", 2)
    # A request's life: intake (Query + transaction of 3 items), verify (3 reads, 1 transaction),
    # ~3 more audited transitions, fulfilment reads/writes of ~500 items, 4 emails, 6 events.
    request_writes = requests * (2 * 3 + 2 * 3 + 3 * 2 * 2 + 500)
    request_reads = requests * (intake_ddb + 3 + 3 + 500)
    notices = WORKLOAD["accounts"] * WORKLOAD["significant_notices_per_year"] * per_month
    # Per notice and account: ledger claim + confirm (2 writes), 1 token-bucket write, 1 SES email.
    notice_writes = notices * 3
    sweep_items = WORKLOAD["log_items_expiring_per_month"]
    # Anonymize = one UpdateItem per item (TTL deletes of the rest are free); index reads are KEYS_ONLY.
    sweep_writes = sweep_items
    sweep_reads = sweep_items * 0.5 / 10  # ~10 keys per 4 KB eventually consistent read
    storage_gb = WORKLOAD["log_items_under_retention"] * WORKLOAD["log_item_bytes"] * 1.3 / 1e9  # +30% index
    # [issue 16] The outbox: ~6 items a request (Received; Verified + acknowledgement; Completed +
    # its email; Subject.Erased for a deletion), each a transactional put (2 write units) plus a
    # claim and a delivered mark (1 each); ~3 consumer invocations a request (one per commit that
    # carries items). Stream reads by a Lambda trigger are free.
    outbox_per_verify, outbox_source = _counted("outbox lag", "outbox items / verify", 2)
    outbox_items = requests * (outbox_per_verify + 4)
    outbox_writes = outbox_items * (2 + 1 + 1)
    outbox_invocations = requests * 3
    emails = requests * 4 + notices
    invocations = requests * 8 + notices / 10 + 24 * 30 + 30 * 4

    lines = {
        "DynamoDB writes": (request_writes + notice_writes + sweep_writes) / 1e6 * PRICES["dynamodb_write_per_million"],
        "DynamoDB reads": (request_reads + sweep_reads) / 1e6 * PRICES["dynamodb_read_per_million"],
        "DynamoDB storage": storage_gb * PRICES["dynamodb_storage_gb_month"],
        "SES": emails / 1000 * PRICES["ses_per_thousand_emails"],
        "Lambda": invocations / 1e6 * PRICES["lambda_per_million_requests"]
        + invocations * 0.5 * 1.0 * PRICES["lambda_arm_gb_second"],
        "SQS + EventBridge": (notices / 10 * 3) / 1e6 * PRICES["sqs_per_million"]
        + requests * 6 / 1e6 * PRICES["eventbridge_per_million_events"],
        "Outbox (writes + consumer)": outbox_writes / 1e6 * PRICES["dynamodb_write_per_million"]
        + outbox_invocations / 1e6 * PRICES["lambda_per_million_requests"]
        + outbox_invocations * 0.5 * 0.1 * PRICES["lambda_arm_gb_second"],
        "KMS": PRICES["kms_key_month"],
        "CloudWatch Logs": 2.0 * PRICES["cloudwatch_logs_ingest_gb"],
    }
    total = sum(lines.values())
    # Not in the total: only with ApiSnapStart=Enabled. Two API functions of 0.5 GB keep one active
    # version each (Lambda drops the snapshot of a version idle for 14 days); a new sandbox about
    # every 10 minutes per function at this workload's traffic.
    snapstart_cache = 2 * 0.5 * 30 * 24 * 3600 * PRICES["snapstart_cache_gb_second"]
    snapstart_restores = 2 * 6 * 24 * 30 * 0.5 * PRICES["snapstart_restore_gb"]
    result = BenchResult(
        "cost model (USD per month)",
        details={
            "prices": PRICES,
            "prices_date": PRICES_DATE,
            "workload": WORKLOAD,
            "intake_calls_source": intake_source,
            "outbox_items_source": outbox_source,
            "outbox_per_request": {
                "items": outbox_per_verify + 4,
                "dynamodb_write_units": (outbox_per_verify + 4) * 4,
                "consumer_invocations": 3,
                "stream_reads_billed": 0,
            },
        },
    )
    for name, cost in lines.items():
        result.figures.append(Figure(name, round(cost, 2), "USD"))
    result.figures.append(Figure("total", round(total, 2), "USD", note=f"US East list prices of {PRICES_DATE}"))
    result.figures.append(
        Figure(
            "SnapStart for the two APIs (not in the total)",
            round(snapstart_cache + snapstart_restores, 2),
            "USD",
            note="only with ApiSnapStart=Enabled: snapshot cache of two 0.5 GB versions, ~8,600 restores",
        )
    )
    result.emit()


if __name__ == "__main__":
    main()
