"""Benchmark: peak memory of an Access export for a subject with 100,000 message logs.

Side by side in one run, for the same synthetic subject (pages of 500 items, as DynamoDB returns
them, including ~200-character message bodies):
- baseline: collect every item, then build the JSON, the CSV and the zip in memory (what a
  straightforward export does);
- streaming: privacydesk.fulfilment.domain.export_bundle.write_bundle into the real MultipartWriter (8 MiB
  parts), whose S3 calls are replaced by a sink that counts and drops the parts.

Memory is Python's peak allocation (tracemalloc), so neither run is timed. The streaming peak is
bounded by one 8 MiB part (plus its copy for the upload) and one page, however large the subject;
the baseline grows with it. The CSV of a store is spooled to /tmp past 1 MiB (Lambda has 512 MiB).
The store is synthetic on purpose: moto's Query scans the whole table per page, which would
measure moto, not the export.

Usage: .venv/bin/python bench/export_memory.py [--messages 100000]
"""

from __future__ import annotations

import argparse
import csv
import gc
import hashlib
import io
import json
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers" / "shared"), str(ROOT)]

from bench.common import BenchResult, Figure  # noqa: E402
from privacydesk.datamap.domain.model import Store, SubjectLookup, load_datamap  # noqa: E402
from privacydesk.fulfilment.domain.export_bundle import write_bundle  # noqa: E402
from privacydesk.kernel import object_store  # noqa: E402
from privacydesk.requests.domain.model import Channel, PrivacyRequest, RequestStatus, RequestType, Subject  # noqa: E402
from privacydesk.subjects.domain.subjects import SubjectIds  # noqa: E402

PAGE = 500
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def message(n: int) -> dict[str, Any]:
    sent = (NOW - timedelta(seconds=n * 37)).isoformat()
    return {
        "account_id": "acct-bench",
        "message_id": f"{sent}#{n:06d}",
        "recipient": f"+63917{n % 10_000_000:07d}",
        "sender_id": "BENCHCO",
        # a per-message token, so the zip cannot compress the bodies away (real messages differ too)
        "body": f"Order #{n} is ready for pickup, code {hashlib.sha256(str(n).encode()).hexdigest()}. Reply STOP.",
        "status": "delivered",
        "sent_at": sent,
        "route": "primary",
        "expires_at": int((NOW + timedelta(days=90)).timestamp()),
    }


class SyntheticStore:
    """A store connector whose message_logs hold `count` items for the subject, others nothing."""

    def __init__(self, store: Store, count: int) -> None:
        self.store = store
        self.count = count if store.name == "message_logs" else 0

    def pages(
        self, lookup: SubjectLookup, value: str, *, now_epoch: int, include_expired: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        if lookup.key.value != "account_id":
            return
        for start in range(0, self.count, PAGE):
            yield [message(n) for n in range(start, min(start + PAGE, self.count))]

    def open(self, item: dict[str, Any]) -> IO[bytes] | None:
        return None


class DroppingS3:
    """Stands in for S3 under the real MultipartWriter: counts parts and bytes, keeps nothing."""

    def __init__(self) -> None:
        self.parts = 0
        self.bytes = 0

    def create_multipart_upload(self, **_: Any) -> dict[str, str]:
        return {"UploadId": "bench"}

    def upload_part(self, **call: Any) -> dict[str, str]:
        self.parts += 1
        self.bytes += len(call["Body"])
        return {"ETag": f"etag-{self.parts}"}

    def complete_multipart_upload(self, **_: Any) -> dict[str, str]:
        return {}

    def abort_multipart_upload(self, **_: Any) -> dict[str, str]:
        return {}


def request() -> PrivacyRequest:
    return PrivacyRequest(
        request_id="req_bench",
        type=RequestType.ACCESS,
        status=RequestStatus.IN_PROGRESS,
        channel=Channel.API,
        subject=Subject(email="bench@example.com", account_id="acct-bench"),
        received_at=NOW,
        acknowledge_by=NOW,
        respond_by=NOW,
        policy_version="2025-11-30",
        datamap_version="bench",
    )


def streaming(count: int) -> tuple[int, int]:
    sink = DroppingS3()
    object_store.client = lambda name: sink  # type: ignore[attr-defined,assignment]
    datamap = load_datamap()
    writer = object_store.MultipartWriter("bench-bucket", "exports/req_bench/personal-data.zip", "application/zip")
    with writer:
        report = write_bundle(
            writer,  # type: ignore[arg-type]
            request=request(),
            datamap=datamap,
            connector=lambda store: SyntheticStore(store, count),  # type: ignore[arg-type,return-value]
            ids=SubjectIds("acct-bench", ("bench@example.com",)),
            now=NOW,
        )
    assert report.stores["message_logs"].records == count
    return sink.bytes, sink.parts


def baseline(count: int) -> tuple[int, int]:
    """Everything in memory: the list of items, the JSON and CSV texts, the zip."""
    store = load_datamap().store("message_logs")
    items = [
        {"relation": "owner", **{k: v for k, v in page_item.items() if k in store.fields}}
        for page in SyntheticStore(store, count).pages(store.lookups[0], "acct-bench", now_epoch=0)
        for page_item in page
    ]
    text = io.StringIO()
    rows = csv.DictWriter(text, fieldnames=["relation", *store.fields])
    rows.writeheader()
    rows.writerows(items)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("message_logs.json", json.dumps(items, indent=2))
        bundle.writestr("message_logs.csv", text.getvalue())
    return len(archive.getvalue()), 1


def peak(run: Callable[[int], tuple[int, int]], count: int) -> tuple[int, int, int]:
    gc.collect()
    tracemalloc.start()
    size, parts = run(count)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top, size, parts


def seconds(run: Callable[[int], tuple[int, int]], count: int) -> float:
    gc.collect()
    started = time.perf_counter()
    run(count)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    mib = 1 << 20
    print(f"Access export, subject with N message logs (pages of {PAGE}); peak Python memory (tracemalloc)")
    print(f"{'N':>8} | {'baseline peak':>14} | {'streaming peak':>15} | {'baseline/streaming':>18} | zip size")
    peaks: dict[int, tuple[int, int]] = {}
    for count in sorted({args.messages // 10, args.messages}):
        base_peak, _base_size, _ = peak(baseline, count)
        stream_peak, stream_size, parts = peak(streaming, count)
        peaks[count] = (base_peak, stream_peak)
        print(
            f"{count:>8} | {base_peak / mib:>11.1f} MiB | {stream_peak / mib:>12.1f} MiB | "
            f"{base_peak / stream_peak:>17.1f}x | {stream_size / mib:.1f} MiB in {parts} part(s)"
        )
    small, large = args.messages // 10, args.messages
    per_10k_small = seconds(streaming, small) / (small / 10_000)
    per_10k_large = seconds(streaming, large) / (large / 10_000)
    result = BenchResult("access export", details={"messages": large, "page": PAGE})
    base_peak, stream_peak = peaks[large]
    result.figures.append(
        Figure(
            f"streaming peak, {large:,} logs",
            stream_peak / mib,
            "MiB",
            baseline=base_peak / mib,
            baseline_label="in-memory export",
            goal="<= 256 MiB",
            ok=stream_peak / mib <= 256,
        )
    )
    result.figures.append(
        Figure(
            "seconds per 10k rows (large run)",
            per_10k_large,
            "s",
            baseline=per_10k_small,
            baseline_label=f"seconds per 10k rows at {small:,}",
            goal="~1x (linear)",
            ok=0.5 <= per_10k_large / per_10k_small <= 2.0,
        )
    )
    result.emit()


if __name__ == "__main__":
    main()
