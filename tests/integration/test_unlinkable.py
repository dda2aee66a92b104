"""Anonymized means unlinkable, and a Delete leaves no copy behind.

After a Delete, and after a retention sweep, every table and bucket of the stack is read in full
for every identifier the subject had (email, phone, account id, name, company, sender id). Each
may remain only where the data map keeps it by law (invoices), or where accountability needs it
(the request record and its audit trail), each with its reason.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from tests.support.flows import submit_and_verify
from tests.support.fulfilment import drain_fulfilment, new_account
from tests.support.harness import EVENTS, Harness

pytestmark = pytest.mark.integration

# Where a subject's identifiers may stay, and why (logical ids of template.yaml).
KEPT_ON_PURPOSE = {
    "BillingRecordsTable": "invoices: the tax code's ten-year retention obligation (data map: keep)",
    "RequestsTable": "the privacy request itself: accountability to the regulator (3 years)",
    "AuditTable": "the request's audit trail: accountability (3 years)",
}


def _tables(stack: Harness) -> dict[str, str]:
    physical = stack.stack.physical
    names = set(boto3.client("dynamodb").list_tables()["TableNames"])
    return {logical: name for logical, name in physical.items() if name in names}


def _buckets(stack: Harness) -> dict[str, str]:
    names = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    return {logical: name for logical, name in stack.stack.physical.items() if name in names}


def where_found(stack: Harness, identifiers: list[str]) -> dict[str, set[str]]:
    """logical id -> the identifiers found in it (items in full; object keys and bodies)."""
    found: dict[str, set[str]] = {}
    db = boto3.client("dynamodb")
    for logical, table in _tables(stack).items():
        for page in db.get_paginator("scan").paginate(TableName=table):
            text = json.dumps(page.get("Items", []))
            hits = {value for value in identifiers if value in text}
            if hits:
                found.setdefault(logical, set()).update(hits)
    s3 = boto3.client("s3")
    for logical, bucket in _buckets(stack).items():
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []):
                body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
                text = version["Key"] + body.decode("utf-8", errors="replace")
                hits = {value for value in identifiers if value in text}
                if hits:
                    found.setdefault(logical, set()).update(hits)
    return found


def _identifiers(person: dict[str, str]) -> list[str]:
    return [person[k] for k in ("account_id", "email", "phone", "name", "company", "sender_id")]


def _export_link(stack: Harness, email: str, request_id: str) -> str:
    (mail,) = [
        m
        for m in stack.outbox(to=email)
        if m["subject"] == "Your privacy request is complete" and request_id in m["text"]
    ]
    link = re.search(r"Download it here .*?: (\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    (secret,) = parse_qs(urlsplit(link).query)["token"]
    return secret


def test_after_a_delete_the_subject_is_found_only_where_the_law_or_accountability_keeps_them(stack: Harness):
    person = new_account(stack, messages=4)
    access = submit_and_verify(stack, type="access", email=person["email"])
    drain_fulfilment(stack)
    secret = _export_link(stack, person["email"], access["request_id"])
    export_path = f"/v1/requests/{access['request_id']}/export"
    assert stack.http("GET", export_path, query=f"token={secret}").status == 302

    delete = submit_and_verify(stack, type="delete", email=person["email"])
    drain_fulfilment(stack)

    found = where_found(stack, _identifiers(person))
    unexpected = {logical: hits for logical, hits in found.items() if logical not in KEPT_ON_PURPOSE}
    assert unexpected == {}, f"identifiers left where nothing requires them: {unexpected}"
    assert "BillingRecordsTable" in found, "the invoice is kept, and said to be"
    gone = stack.http("GET", export_path, query=f"token={secret}")
    assert gone.status == 410, "an earlier export's link dies with the subject's data"
    assert gone.json()["error"]["code"] == "export_expired"
    detail = stack.http("GET", f"/v1/admin/requests/{delete['request_id']}", identity=_dpo()).json()
    assert detail["request"]["outcome"].get("exports_removed") == 1, detail["request"]["outcome"]
    assert "exports_removed" in [event["action"] for event in detail["audit"]]
    notice = [m for m in stack.outbox(to=person["email"]) if delete["request_id"] in m["text"]][-1]["text"]
    assert "earlier copy(ies) of your data" in notice
    assert "we kept only one row per message" in notice, "what anonymization kept, and in what form"


def test_after_the_retention_sweep_a_closed_account_leaves_nothing_that_joins_back(stack: Harness):
    from privacydesk.datamap.adapters.reference_stores import (
        AccountRecord,
        ApiUsageRecord,
        MessageLogRecord,
        TechnicalEventRecord,
    )
    from privacydesk.datamap.adapters.retention_fields import stamp

    person = new_account(stack, messages=0)
    stack.runner.activate("RetentionSweepFunction")
    now = datetime.now(UTC)
    account = AccountRecord.get(person["account_id"])
    account.status = "closed"
    account.closed_at = now - timedelta(days=400)
    stamp(account, now=now).save()
    for n in range(3):
        sent = now - timedelta(days=200 + n)
        stamp(
            MessageLogRecord(
                account_id=person["account_id"],
                message_id=f"{sent.isoformat()}#{n:04d}",
                recipient=person["phone"],
                sender_id=person["sender_id"],
                body=f"Hello from {person['company']}",
                sent_at=sent.isoformat(),
                route="primary",
            ),
            now=now,
        ).save()
    for record in TechnicalEventRecord.query(person["account_id"]):
        record.at = (now - timedelta(days=120)).isoformat()
        stamp(record, now=now).save()
    for record in MessageLogRecord.query(person["account_id"]):
        if record.expires_at is None:  # the fixture's fresh rows: not yet due, drop them here
            record.delete()
    for usage in ApiUsageRecord.query(person["account_id"]):
        usage.at = (now - timedelta(days=400)).isoformat()
        stamp(usage, now=now).save()

    stack.invoke("RetentionSweepFunction", json.loads((EVENTS / "retention_sweep" / "scheduled.json").read_text()))

    found = where_found(stack, _identifiers(person))
    assert set(found) <= {"BillingRecordsTable"}, f"identifiers left after the sweep: {found}"


def _dpo() -> dict[str, Any]:
    from tests.support.harness import ADMIN_IDENTITY

    return ADMIN_IDENTITY
