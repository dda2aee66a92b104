"""What an external store adds to the Access bundle: the records a webhook service returned (only
the fields the data map lists for it) and the files a DPO attached to a manual task."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from privacydesk.datamap.domain.model import Store

COPY_CHUNK = 1 << 20


@dataclass
class ExternalExport:
    records: list[dict[str, Any]] = field(default_factory=list)
    files: list[tuple[str, Callable[[], IO[bytes]]]] = field(default_factory=list)  # (name in bundle, opener)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def write_external(bundle: zipfile.ZipFile, store: Store, export: ExternalExport | None) -> tuple[int, int]:
    """Write <store>.json, <store>.csv and files/<store>/*; (records, files) written."""
    export = export or ExternalExport()
    views = [{name: record[name] for name in store.fields if name in record} for record in export.records]
    bundle.writestr(f"{store.name}.json", json.dumps(views, ensure_ascii=False, indent=2) + "\n")
    text = io.StringIO()
    rows = csv.writer(text)
    rows.writerow(store.fields)
    rows.writerows([_cell(view.get(name)) for name in store.fields] for view in views)
    bundle.writestr(f"{store.name}.csv", text.getvalue())
    for name, opener in export.files:
        with opener() as stream, bundle.open(f"files/{store.name}/{name}", "w", force_zip64=True) as entry:
            shutil.copyfileobj(stream, entry, COPY_CHUNK)
    return len(views), len(export.files)
