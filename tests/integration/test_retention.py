"""Retention under moto: the sweep removes what outlived its retention and nothing else, holds
stop it, an interrupted sweep finishes when it resumes, and TTL deletions are accounted for."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.support.harness import EVENTS, Harness

pytestmark = pytest.mark.integration

SWEEP = "RetentionSweepFunction"


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _technical(account_id: str, at: datetime, now: datetime, n: int = 0):
    from privacydesk.datamap.adapters.reference_stores import TechnicalEventRecord
    from privacydesk.datamap.adapters.retention_fields import stamp

    record = TechnicalEventRecord(
        account_id=account_id,
        event_id=f"{at.isoformat()}#{n:04d}",
        ip_address=f"203.0.113.{n}",
        user_agent="Mozilla/5.0",
        device="desktop",
        at=at.isoformat(),
    )
    stamp(record, now=now).save()
    return record


def _message(account_id: str, sent: datetime, now: datetime, n: int = 0):
    from privacydesk.datamap.adapters.reference_stores import MessageLogRecord
    from privacydesk.datamap.adapters.retention_fields import stamp

    record = MessageLogRecord(
        account_id=account_id,
        message_id=f"{sent.isoformat()}#{n:04d}",
        recipient=f"+6391755{n:05d}",
        sender_id="SHOP",
        body=f"Order {n} is ready.",
        sent_at=sent.isoformat(),
        route="primary",
    )
    stamp(record, now=now).save()
    return record


def _account(account_id: str, now: datetime, closed_days_ago: int | None):
    from privacydesk.datamap.adapters.reference_stores import AccountRecord
    from privacydesk.datamap.adapters.retention_fields import stamp

    closed = now - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    record = AccountRecord(
        account_id=account_id,
        name="Test Person",
        email=f"{account_id}@example.com",
        status="closed" if closed else "active",
        created_at=now - timedelta(days=800),
        closed_at=closed,
    )
    stamp(record, now=now).save()
    return record


def _raw(table: str, key: dict[str, str]) -> dict[str, Any] | None:
    item = boto3.client("dynamodb").get_item(
        TableName=table, Key={k: {"S": v} for k, v in key.items()}, ConsistentRead=True
    )
    return item.get("Item")


def _anonymous_rows(table: str, month: str) -> list[dict[str, Any]]:
    """The rewritten (unlinkable) message-log rows of one month, over every shard."""
    from privacydesk.datamap.domain.anonymization import ANONYMOUS_PREFIX, ANONYMOUS_SHARDS

    rows: list[dict[str, Any]] = []
    for shard in range(ANONYMOUS_SHARDS):
        reply = boto3.client("dynamodb").query(
            TableName=table,
            KeyConditionExpression="account_id = :p",
            ExpressionAttributeValues={":p": {"S": f"{ANONYMOUS_PREFIX}{month}#{shard:02d}"}},
        )
        rows.extend(reply["Items"])
    return rows


def _sweep(stack: Harness, **options: Any) -> dict[str, Any]:
    from privacydesk.retention.entry.jobs import run_sweep

    stack.runner.activate(SWEEP)
    options.setdefault("remaining_ms", lambda: 900_000)
    report = run_sweep(datetime.now(UTC), **options)
    return report.as_dict()


def _by_store(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["store"]: s for s in result["stores"]}


def test_sweep_removes_what_outlived_retention_and_touches_nothing_else(stack: Harness):
    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    person, closed_long_ago, closed_recently, active = (
        _id("acct-ret"),
        _id("acct-ret"),
        _id("acct-ret"),
        _id("acct-ret"),
    )
    old_events = [_technical(person, now - timedelta(days=91 + n), now, n) for n in range(3)]
    new_events = [_technical(person, now - timedelta(days=89 - n), now, 10 + n) for n in range(2)]
    old_messages = [_message(person, now - timedelta(days=181 + n), now, n) for n in range(2)]
    new_messages = [_message(person, now - timedelta(days=179 - n), now, 10 + n) for n in range(2)]
    _account(closed_long_ago, now, closed_days_ago=366)
    _account(closed_recently, now, closed_days_ago=300)
    _account(active, now, closed_days_ago=None)
    events_table = stack.physical("TechnicalEventsTable")
    logs_table = stack.physical("MessageLogsTable")
    accounts_table = stack.physical("AccountsTable")
    months = sorted({m.sent_at[:7] for m in old_messages})
    anonymous_before = sum(len(_anonymous_rows(logs_table, month)) for month in months)
    untouched_before = {
        "events": [_raw(events_table, {"account_id": person, "event_id": r.event_id}) for r in new_events],
        "messages": [_raw(logs_table, {"account_id": person, "message_id": r.message_id}) for r in new_messages],
        "accounts": [_raw(accounts_table, {"account_id": a}) for a in (closed_recently, active)],
    }

    result = _by_store(stack.invoke(SWEEP, json.loads((EVENTS / "retention_sweep" / "scheduled.json").read_text())))

    for record in old_events:
        assert _raw(events_table, {"account_id": person, "event_id": record.event_id}) is None
    assert _raw(accounts_table, {"account_id": closed_long_ago}) is None
    for record in old_messages:
        assert _raw(logs_table, {"account_id": person, "message_id": record.message_id}) is None, (
            "an anonymized message log no longer sits under the account's key"
        )
    rewritten = [row for month in months for row in _anonymous_rows(logs_table, month)]
    assert len(rewritten) == anonymous_before + len(old_messages), "each message still counts, once"
    for row in rewritten:
        assert not {"recipient", "body", "sender_id", "expires_at", "expiry_bucket", "anonymized_at"} & set(row)
        assert person not in json.dumps(row)
        assert len(row["sent_at"]["S"]) == len("2026-05"), "the time is kept to the month only"
    assert untouched_before == {
        "events": [_raw(events_table, {"account_id": person, "event_id": r.event_id}) for r in new_events],
        "messages": [_raw(logs_table, {"account_id": person, "message_id": r.message_id}) for r in new_messages],
        "accounts": [_raw(accounts_table, {"account_id": a}) for a in (closed_recently, active)],
    }
    assert untouched_before["accounts"][1] is not None
    assert "expires_at" not in untouched_before["accounts"][1]
    # Only expired items were read: every key the index returned was past retention.
    for store in result.values():
        assert store["items_read"] == store["expired"], store
    assert result["technical_events"]["deleted"] >= 3
    assert result["message_logs"]["anonymized"] >= 2


def test_sweep_reads_only_expired_items_and_writes_in_batches_of_25(stack: Harness):
    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    _sweep(stack)  # whatever other tests left due is gone first
    person = _id("acct-batch")
    for n in range(30):
        _technical(person, now - timedelta(days=95, minutes=n), now, n)
    for n in range(5):
        _technical(person, now - timedelta(days=5, minutes=n), now, 100 + n)

    store = _by_store(_sweep(stack))["technical_events"]

    assert store["items_read"] == store["deleted"] == 30
    assert store["write_calls"] == 2  # ceil(30 / 25)
    assert store["queries"] == 8  # one per shard of today's bucket: no scan, no page of live items


def test_a_hold_keeps_items_past_retention_and_clearing_it_lets_the_sweep_remove_them(stack: Harness):
    from privacydesk.datamap.domain.model import load_datamap
    from privacydesk.subjects.adapters.legal_holds import HoldRepository, SubjectItems
    from privacydesk.subjects.domain import legal_hold

    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    held, free = _id("acct-held"), _id("acct-free")
    held_events = [_technical(held, now - timedelta(days=120), now, n) for n in range(2)]
    held_messages = [_message(held, now - timedelta(days=200), now, n) for n in range(2)]
    free_event = _technical(free, now - timedelta(days=120), now)
    ports = {"datamap": load_datamap(), "holds": HoldRepository(), "items": SubjectItems(), "actor": "dpo"}

    change = legal_hold.set_hold(held, "litigation: case 2026-17", now=now, **ports)
    assert change.items["technical_events"] == 2
    assert change.items["message_logs"] == 2
    events_table = stack.physical("TechnicalEventsTable")
    for record in held_events:
        item = _raw(events_table, {"account_id": held, "event_id": record.event_id})
        assert item is not None
        assert "expires_at" not in item
        assert "expiry_bucket" not in item

    # A write racing the hold (made as if the hold were not known) is caught by the sweep.
    late = _technical(held, now - timedelta(days=150), now, 9)
    from privacydesk.datamap.adapters.retention_fields import stamp

    stamp(late, now=now, held=False).save()
    result = _by_store(_sweep(stack))
    assert result["technical_events"]["held"] >= 1
    assert held in result["technical_events"]["held_accounts"]
    assert _raw(events_table, {"account_id": held, "event_id": late.event_id}) is not None
    assert _raw(events_table, {"account_id": free, "event_id": free_event.event_id}) is None
    for record in held_events:
        assert _raw(events_table, {"account_id": held, "event_id": record.event_id}) is not None

    legal_hold.clear_hold(held, now=now, **ports)
    restored = _raw(events_table, {"account_id": held, "event_id": held_events[0].event_id})
    assert restored is not None
    assert restored["expiry_bucket"]["S"].startswith(now.date().isoformat())

    _sweep(stack)
    for record in [*held_events, late]:
        assert _raw(events_table, {"account_id": held, "event_id": record.event_id}) is None
    logs_table = stack.physical("MessageLogsTable")
    for record in held_messages:  # once the hold is lifted they are anonymized: gone from the account
        assert _raw(logs_table, {"account_id": held, "message_id": record.message_id}) is None


def test_new_items_of_a_held_subject_get_no_ttl(stack: Harness):
    from privacydesk.datamap.domain.model import load_datamap
    from privacydesk.subjects.adapters.legal_holds import HoldRepository, SubjectItems
    from privacydesk.subjects.domain import legal_hold

    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    held = _id("acct-held")
    legal_hold.set_hold(
        held,
        "regulator inquiry",
        now=now,
        datamap=load_datamap(),
        holds=HoldRepository(),
        items=SubjectItems(),
        actor="dpo",
    )
    record = _technical(held, now - timedelta(days=100), now)
    assert record.expires_at is None
    assert record.expiry_bucket is None


def test_an_interrupted_sweep_finishes_when_it_resumes(stack: Harness):
    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    _sweep(stack)
    person = _id("acct-resume")
    old = [_technical(person, now - timedelta(days=100, minutes=n), now, n) for n in range(12)]
    old_messages = [_message(person, now - timedelta(days=190, minutes=n), now, n) for n in range(4)]
    continuations: list[dict[str, Any]] = []

    first = _sweep(stack, remaining_ms=lambda: 1, continue_with=continuations.append, page_size=2)
    assert not first["complete"]
    assert continuations
    assert continuations[0]["generation"] == 1

    invocations = 1
    totals: dict[str, int] = {"deleted": 0, "anonymized": 0, "read": 0}
    for store in first["stores"]:
        totals["deleted"] += store["deleted"] if store["store"] == "technical_events" else 0
        totals["anonymized"] += store["anonymized"] if store["store"] == "message_logs" else 0
    while continuations and invocations < 400:
        event = continuations.pop()
        result = _sweep(
            stack, remaining_ms=lambda: 1, continue_with=continuations.append, page_size=2, continuation=event
        )
        invocations += 1
        by_store = _by_store(result)
        totals["deleted"] += by_store["technical_events"]["deleted"]
        totals["anonymized"] += by_store["message_logs"]["anonymized"]
    assert not continuations, "the sweep never finished"
    assert result["complete"]
    assert invocations > 5  # it really was interrupted and resumed
    assert totals["deleted"] == 12
    assert totals["anonymized"] == 4
    events_table = stack.physical("TechnicalEventsTable")
    for record in old:
        assert _raw(events_table, {"account_id": person, "event_id": record.event_id}) is None
    logs_table = stack.physical("MessageLogsTable")
    for record in old_messages:
        assert "recipient" not in (_raw(logs_table, {"account_id": person, "message_id": record.message_id}) or {})


def test_the_sweep_removes_objects_an_expired_item_links_to(stack: Harness):
    from privacydesk.datamap.adapters.reference_stores import TechnicalEventRecord
    from privacydesk.datamap.domain import retention_schedule as retention
    from privacydesk.datamap.domain.model import LinkedObjects, load_datamap
    from privacydesk.retention.adapters.sweep_ports import SweepPorts
    from privacydesk.retention.domain import retention_sweep

    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    base = load_datamap()
    technical = base.store("technical_events")
    linked = technical.model_copy(
        update={
            "name": "technical_events_with_attachments",
            "linked_objects": [LinkedObjects(bucket_store="account_documents", key_attribute="device")],
        }
    )
    stores = [type(technical).model_validate(linked.model_dump()), base.store("account_documents")]
    datamap = base.model_copy(update={"stores": stores})
    person = _id("acct-links")
    bucket = stack.physical("AccountDocumentsBucket")
    s3 = boto3.client("s3")
    old = _technical(person, now - timedelta(days=100), now)
    new = _technical(person, now - timedelta(days=10), now, 1)
    for record, key in ((old, f"evidence/{person}/old.bin"), (new, f"evidence/{person}/new.bin")):
        s3.put_object(Bucket=bucket, Key=key, Body=b"capture")
        TechnicalEventRecord(account_id=person, event_id=record.event_id).update(
            actions=[TechnicalEventRecord.device.set(key)]
        )

    rules = retention.schedule(datamap)
    report = retention_sweep.sweep(
        datamap=datamap,
        rules=rules,
        now=now,
        ports=SweepPorts(),
        budget=retention_sweep.Budget(lambda: 900_000),
        shards=8,
        lookback_days=1,
    )

    store = next(s for s in report.stores if s.store == "technical_events_with_attachments")
    assert store.objects_removed >= 1
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"evidence/{person}/").get("Contents", [])]
    assert keys == [f"evidence/{person}/new.bin"]


def test_reads_hide_items_past_retention_that_ttl_has_not_removed(stack: Harness):
    from privacydesk.datamap.adapters.dynamodb_store import DynamoDbStore
    from privacydesk.datamap.domain.model import load_datamap

    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    person = _id("acct-read")
    old = _technical(person, now - timedelta(days=100), now)
    new = _technical(person, now - timedelta(days=10), now, 1)
    due_message = _message(person, now - timedelta(days=181), now)  # due, TTL backstop not reached
    live_message = _message(person, now - timedelta(days=20), now, 1)

    def read(store_name: str, include_expired: bool = False) -> list[str]:
        adapter = DynamoDbStore(load_datamap().store(store_name))
        lookup = adapter.store.lookups[0]
        pages = adapter.pages(lookup, person, now_epoch=int(now.timestamp()), include_expired=include_expired)
        return [str(item.get("event_id") or item.get("message_id")) for page in pages for item in page]

    assert read("technical_events") == [new.event_id]
    assert read("message_logs") == [live_message.message_id]
    assert sorted(read("technical_events", include_expired=True)) == sorted([old.event_id, new.event_id])
    assert due_message.expires_at is not None


def test_api_usage_keeps_monthly_counts_after_its_rows_expire(stack: Harness):
    from privacydesk.datamap.adapters.api_usage import monthly_counts, record_api_call

    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    person = _id("acct-usage")
    old = now - timedelta(days=400)
    for n in range(3):
        at = old + timedelta(minutes=n)
        assert record_api_call(
            account_id=person,
            usage_id=f"{at.isoformat()}#{n}",
            endpoint="/api/v1/sms",
            method="POST",
            status_code=500 if n == 0 else 200,
            at=at,
            now=now,
        )
    again = old + timedelta(minutes=1)
    assert not record_api_call(  # a retried write is not counted twice
        account_id=person,
        usage_id=f"{again.isoformat()}#1",
        endpoint="/",
        method="POST",
        status_code=200,
        at=again,
        now=now,
    )

    result = _by_store(_sweep(stack))

    assert result["api_usage"]["deleted"] >= 3
    assert monthly_counts(person) == {old.strftime("%Y-%m"): {"calls": 3, "errors": 1}}


def test_ttl_deletions_are_recorded_per_store_and_day_with_ids_only(stack: Harness):
    from privacydesk.audit.adapters.retention_audit import RetentionAuditRecord, ttl_deletions

    event = json.loads((EVENTS / "retention_ttl_accounting" / "ttl_deletions.json").read_text())
    stream_arn = stack.stack.attributes["TechnicalEventsTable"]["StreamArn"] or (
        f"arn:aws:dynamodb:ap-southeast-1:123456789012:table/{stack.physical('TechnicalEventsTable')}/stream/x"
    )
    for record in event["Records"]:
        record["eventSourceARN"] = stream_arn
    day = datetime.fromtimestamp(event["Records"][0]["dynamodb"]["ApproximateCreationDateTime"], UTC).date()
    before = ttl_deletions("technical_events", day)

    first = stack.invoke("RetentionTtlAccountingFunction", event)
    stack.invoke("RetentionTtlAccountingFunction", event)  # a redelivered batch is not counted twice

    assert first == {"ttl_deleted": {"technical_events": 2}}  # the third record is not TTL's (a user delete)
    assert ttl_deletions("technical_events", day) == before + 2
    stored = [r.attribute_values for r in RetentionAuditRecord.query(f"retention-ttl#technical_events#{day}")]
    text = json.dumps(stored, default=str)
    assert "203.0.113.77" not in text
    assert "Mozilla" not in text
    assert "event_id=2026-08-29T10:00:00+00:00#0001" in text


def test_every_sweep_run_leaves_an_audit_record_per_store(stack: Harness):
    from privacydesk.audit.adapters.retention_audit import sweeps

    stack.runner.activate(SWEEP)
    before = len(sweeps("message_logs"))
    _sweep(stack)
    records = sweeps("message_logs")
    assert len(records) == before + 1
    assert {"deleted", "anonymized", "held", "failed", "items_read"} <= set(records[-1])


def test_a_sweep_does_nothing_while_another_invocation_holds_the_lease(stack: Harness):
    from privacydesk.retention.adapters.sweep_ports import SweepLeaseStore

    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    _sweep(stack)
    person = _id("acct-lease")
    old = _technical(person, now - timedelta(days=100), now)
    lease = SweepLeaseStore()
    assert lease.acquire("the-running-sweep", now, now + timedelta(minutes=16))
    try:
        result = _sweep(stack)
        assert result["skipped"] is True
        assert result["stores"] == []
        assert _raw(stack.physical("TechnicalEventsTable"), {"account_id": person, "event_id": old.event_id})
    finally:
        lease.release("the-running-sweep", now)
    assert _sweep(stack)["skipped"] is False
    assert _raw(stack.physical("TechnicalEventsTable"), {"account_id": person, "event_id": old.event_id}) is None


def test_a_lease_left_by_a_sweep_that_died_expires_and_the_next_sweep_runs(stack: Harness):
    from privacydesk.retention.adapters.sweep_ports import SweepLeaseStore

    now = datetime.now(UTC)
    assert SweepLeaseStore().acquire("timed-out-sweep", now - timedelta(minutes=20), now - timedelta(minutes=4))
    result = _sweep(stack)
    assert result["skipped"] is False
    assert result["complete"] is True


def test_only_one_of_two_racing_sweeps_takes_the_lease(stack: Harness):
    from privacydesk.retention.adapters.sweep_ports import SweepLeaseStore

    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    first, second = SweepLeaseStore(), SweepLeaseStore()
    try:
        assert [
            first.acquire("a", now, now + timedelta(minutes=16)),
            second.acquire("b", now, now + timedelta(minutes=16)),
        ] == [True, False]
    finally:
        first.release("a", now)


def test_a_sweep_out_of_time_continues_through_its_queue_and_the_queued_step_finishes(stack: Harness):
    from privacydesk.retention.entry.jobs import continue_through_queue

    stack.runner.activate(SWEEP)
    now = datetime.now(UTC)
    _sweep(stack)
    person = _id("acct-queue")
    old = [_technical(person, now - timedelta(days=100, minutes=n), now, n) for n in range(6)]
    queue_url = stack.physical("RetentionContinuationQueue")

    first = _sweep(stack, remaining_ms=lambda: 1, page_size=2, continue_with=continue_through_queue(queue_url))
    assert not first["complete"]
    (message,) = boto3.client("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)["Messages"]
    step = json.loads(message["Body"])
    assert step["generation"] == 1
    assert step["run_started"] == first["run_started"]

    # The queue invokes the sweep with an SQS event; that invocation has time, takes the lease and finishes.
    record = {"messageId": message["MessageId"], "body": message["Body"], "eventSource": "aws:sqs"}
    result = stack.invoke(SWEEP, {"Records": [record]})
    assert result["skipped"] is False
    assert result["complete"] is True
    assert result["run_started"] == first["run_started"]
    events_table = stack.physical("TechnicalEventsTable")
    for item in old:
        assert _raw(events_table, {"account_id": person, "event_id": item.event_id}) is None


def test_an_account_that_ttl_deleted_takes_its_sender_id_documents_with_it(stack: Harness):
    import copy

    event = json.loads((EVENTS / "retention_ttl_accounting" / "ttl_deletions.json").read_text())
    account_id = _id("acct-ttl-docs")
    (record,) = [copy.deepcopy(r) for r in event["Records"][:1]]
    record["dynamodb"]["Keys"] = {"account_id": {"S": account_id}}
    record["dynamodb"]["OldImage"] = {"account_id": {"S": account_id}, "status": {"S": "closed"}}
    record["eventSourceARN"] = stack.stack.attributes["AccountsTable"]["StreamArn"] or (
        f"arn:aws:dynamodb:ap-southeast-1:123456789012:table/{stack.physical('AccountsTable')}/stream/x"
    )
    s3 = boto3.client("s3")
    bucket = stack.physical("AccountDocumentsBucket")
    s3.put_object(Bucket=bucket, Key=f"sender-id/{account_id}/permit.pdf", Body=b"permit")

    stack.invoke("RetentionTtlAccountingFunction", {"Records": [record]})

    left = s3.list_object_versions(Bucket=bucket, Prefix=f"sender-id/{account_id}/")
    assert not left.get("Versions")
    assert not left.get("DeleteMarkers")
