"""The Access bundle: a zip with, per store, a JSON file and a CSV file, the subject's files from
S3 stores, and a README that explains each category and how long it is kept (from the data map).

Written page by page into a stream (the export bucket's multipart writer), so memory stays flat
however many records a subject has: the JSON is streamed into the zip as pages arrive, and the
CSV of the same pass is spooled to a temporary file and copied in after it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from privacydesk.datamap.domain.model import Category, DataMap, Store
from privacydesk.datamap.domain.ports import StoreConnector
from privacydesk.fulfilment.domain.external_export import ExternalExport, write_external
from privacydesk.requests.domain.model import PrivacyRequest
from privacydesk.subjects.domain.subjects import Match, SubjectIds, excluded, matches

CATEGORY_TEXT = {
    Category.PERSONAL: "Personal data: who you are and how to reach you.",
    Category.ACCOUNT: "Account data: your customer account, its settings and billing details.",
    Category.USAGE: "Usage data: what you did with our service (messages sent, API calls).",
    Category.TECHNICAL: "Technical data: IP addresses, devices and browsers used to reach our service.",
}
SPOOL_BYTES = 1 << 20  # CSV stays in memory up to 1 MiB, then spills to /tmp
COPY_CHUNK = 1 << 20


@dataclass
class StoreExport:
    records: int = 0
    as_recipient: int = 0
    files: int = 0


@dataclass
class BundleReport:
    stores: dict[str, StoreExport] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(s.records for s in self.stores.values())


def item_view(store: Store, match: Match, item: dict[str, Any]) -> dict[str, Any]:
    """What the subject sees of an item: the mapped fields, minus what redaction hides from a
    recipient (another account's sender id, route, account id)."""
    hidden = set(store.redaction.recipient_hides) if match.as_recipient else set()
    view: dict[str, Any] = {"relation": match.lookup.role}
    view.update({name: item[name] for name in store.fields if name in item and name not in hidden})
    return view


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _write_store(
    bundle: zipfile.ZipFile, store: Store, connector: StoreConnector, ids: SubjectIds, now_epoch: int
) -> StoreExport:
    result = StoreExport()
    columns = ["relation", *store.fields]
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as spool:
        csv_text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        rows = csv.writer(csv_text)
        rows.writerow(columns)
        with bundle.open(f"{store.name}.json", "w", force_zip64=True) as entry:
            text = io.TextIOWrapper(entry, encoding="utf-8")
            text.write("[")
            for match in matches(store, ids):
                for page in connector.pages(match.lookup, match.value, now_epoch=now_epoch):
                    for item in page:
                        if excluded(store, match, ids, item):
                            continue
                        view = item_view(store, match, item)
                        text.write(("\n  " if result.records == 0 else ",\n  ") + json.dumps(view, ensure_ascii=False))
                        rows.writerow([_csv_cell(view.get(name)) for name in columns])
                        result.records += 1
                        result.as_recipient += int(match.as_recipient)
            text.write("\n]\n" if result.records else "]\n")
            text.flush()
            text.detach()
        csv_text.flush()
        csv_text.detach()
        spool.seek(0)
        with bundle.open(f"{store.name}.csv", "w", force_zip64=True) as entry:
            shutil.copyfileobj(spool, entry, COPY_CHUNK)
    if store.kind == "s3" and result.records:
        result.files = _write_files(bundle, store, connector, ids, now_epoch)
    return result


def _write_files(
    bundle: zipfile.ZipFile, store: Store, connector: StoreConnector, ids: SubjectIds, now_epoch: int
) -> int:
    files = 0
    for match in matches(store, ids):
        for page in connector.pages(match.lookup, match.value, now_epoch=now_epoch):
            for item in page:
                stream = connector.open(item)
                if stream is None:
                    continue
                with stream, bundle.open(f"files/{store.name}/{item['file_name']}", "w", force_zip64=True) as entry:
                    shutil.copyfileobj(stream, entry, COPY_CHUNK)
                files += 1
    return files


def readme(request: PrivacyRequest, datamap: DataMap, report: BundleReport, now: datetime) -> str:
    lines = [
        "Your personal data - a copy (right of Access)",
        "=" * 45,
        "",
        f"Request: {request.request_id}",
        f"Prepared: {now.strftime('%Y-%m-%d %H:%M UTC')}",
        f"Data map version: {datamap.version}",
        "",
        "Each store we keep data in has two files: <store>.json and <store>.csv (the same records).",
        "The column 'relation' says how the record concerns you: 'owner' (your account's own data) or",
        "'recipient' (a text message someone sent to your number; the sender's private details are",
        "left out, because they are someone else's data).",
        "",
        "Categories",
        "----------",
    ]
    lines += [f"- {category.value}: {text}" for category, text in CATEGORY_TEXT.items()]
    lines += ["", "Stores", "------"]
    for store in datamap.stores:
        exported = report.stores.get(store.name, StoreExport())
        retention = store.retention
        kept = f"{retention.period_days} days" if retention.period_days else "while the account exists"
        lines += [
            "",
            f"{store.name} ({store.category.value}) - {exported.records} record(s)"
            + (f", {exported.files} file(s) in files/{store.name}/" if exported.files else ""),
            f"  What it is: {store.description}",
            f"  Why we hold it: {store.legal_basis}",
            f"  How long we keep it: {kept} ({retention.anchor.value.replace('_', ' ')}). {retention.reason}",
        ]
        if store.anonymization is not None:
            lines.append(f"  What we keep after that: {store.anonymization.kept_as}; {store.anonymization.kept_for}.")
    lines += [
        "",
        "To correct (Update), delete (Delete) or object to the use of (Object) any of this data, reply",
        "to our email or make a new request. This download link expires after 7 days.",
        "",
    ]
    return "\n".join(lines)


def write_bundle(
    out: IO[bytes],
    *,
    request: PrivacyRequest,
    datamap: DataMap,
    connector: Callable[[Store], StoreConnector],
    ids: SubjectIds,
    now: datetime,
    external: Mapping[str, ExternalExport] | None = None,
) -> BundleReport:
    report = BundleReport()
    now_epoch = int(now.timestamp())
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for store in datamap.stores:
            if store.external:  # [issue 20] a webhook's records, a manual task's files
                records, files = write_external(bundle, store, (external or {}).get(store.name))
                report.stores[store.name] = StoreExport(records=records, files=files)
                continue
            report.stores[store.name] = _write_store(bundle, store, connector(store), ids, now_epoch)
        bundle.writestr("README.txt", readme(request, datamap, report, now))
    return report
