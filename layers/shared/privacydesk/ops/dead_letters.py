"""The operator's view of the stack's dead-letter queues, and redrive (`privacydesk dlq ...`).

A dead-letter queue is found from SQS itself: a queue another queue's RedrivePolicy names
(`deadLetterTargetArn`) can be redriven to that source queue. A queue whose name says it is a DLQ
but that no queue names holds failed asynchronous invocations (Lambda's or Scheduler's DLQs):
it is listed, not redriven, since those events go back through the function, not a queue.

Redrive uses SQS's own StartMessageMoveTask (the AWS-native redrive; SQS moves the messages
asynchronously and keeps their attributes). Where an SQS endpoint lacks it (the local stand-in:
moto 5.2.5 does not implement it) `copy_back` is the documented fallback: receive, send to the
source queue, and delete from the DLQ only what SQS accepted, ten at a time. It delivers at least
once (a message sent but not yet deleted when the copy stops is sent again next time), which the
consumers allow: notice_sender's ledger and fulfilment's status checks make a repeat a no-op.

The outbox DLQ is different: RequestOutboxFunction reads the outbox table's stream, and what
Lambda sends to its OnFailure destination names stream positions (shard, sequence numbers), not
messages. Those positions expire with the stream (24 hours) while the DLQ keeps them 14 days, so
`redrive_outbox` goes to the table instead, the source of truth for 30 days: every outbox item
still unsent (no `delivered_at`), old enough and not claimed by a live invocation, is handed on,
in one transaction, to a copy under a derived id (`<id>~r`), whose insert the stream delivers
again; the original is marked delivered (handed on, its payload removed). The conditions make a
redrive idempotent: a second run (or a retried transaction) finds nothing unsent to hand on, and
a copy is made at most once per item. The DLQ's records are deleted once the hand-on is done.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

BATCH = 10  # SQS's most messages per receive, send and delete batch
COPY_VISIBILITY_SECONDS = 60  # a message being copied is hidden this long from other readers
# DLQs that hold a stream consumer's failed positions, and the table whose stream it is.
STREAM_DEAD_LETTERS = {"OutboxDeadLetterQueue": "OutboxTable"}
OUTBOX_MIN_AGE = timedelta(minutes=5)  # younger items may still be in the stream's own retries


@dataclass(frozen=True)
class DeadLetterQueue:
    name: str  # the template's logical id (or the queue's name)
    url: str
    arn: str
    messages: int  # ApproximateNumberOfMessages (+ in flight): SQS's estimate
    source: str | None  # the queue whose RedrivePolicy names this one; None: an async-invoke DLQ
    source_url: str | None = None
    source_arn: str | None = None
    stream_of: str | None = None  # a stream consumer's DLQ: the table whose items it redelivers

    def view(self) -> dict[str, Any]:
        shown = asdict(self)
        shown["redrivable"] = self.source is not None or self.stream_of is not None
        return shown


def dead_letter_queues(sqs: Any, queues: dict[str, str]) -> list[DeadLetterQueue]:
    """Every DLQ among `queues` (name -> URL), with its message count and its source queue."""
    names = ["QueueArn", "RedrivePolicy", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = {
        name: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        for name, url in sorted(queues.items())
    }
    source_of: dict[str, str] = {}
    for name, found in attributes.items():
        if "RedrivePolicy" in found:
            source_of[json.loads(found["RedrivePolicy"])["deadLetterTargetArn"]] = name
    result = []
    for name, found in attributes.items():
        source = source_of.get(found["QueueArn"])
        if source is None and not name.lower().replace("-", "").endswith(("deadletterqueue", "dlq")):
            continue
        result.append(
            DeadLetterQueue(
                name=name,
                url=queues[name],
                arn=found["QueueArn"],
                messages=int(found.get("ApproximateNumberOfMessages", 0))
                + int(found.get("ApproximateNumberOfMessagesNotVisible", 0)),
                source=source,
                source_url=queues[source] if source else None,
                source_arn=attributes[source]["QueueArn"] if source else None,
                stream_of=STREAM_DEAD_LETTERS.get(name),
            )
        )
    return result


def find(dead_letters: list[DeadLetterQueue], name: str) -> DeadLetterQueue:
    """A DLQ by its own name, its source queue's name or the table whose stream failures it keeps."""
    for queue in dead_letters:
        if name in (queue.name, queue.source, queue.stream_of):
            return queue
    known = ", ".join(q.name for q in dead_letters) or "none"
    raise LookupError(f"no dead-letter queue named {name!r} (have: {known})")


def start_move_task(sqs: Any, queue: DeadLetterQueue) -> dict[str, Any]:
    """SQS's redrive: moves every message back to the source queue, asynchronously."""
    if queue.source_arn is None:
        raise ValueError(f"{queue.name} holds failed invocations, not a queue's messages: nothing to redrive to")
    reply = sqs.start_message_move_task(SourceArn=queue.arn, DestinationArn=queue.source_arn)
    return {"queue": queue.name, "to": queue.source, "method": "StartMessageMoveTask", "task": reply["TaskHandle"]}


def copy_back(sqs: Any, queue: DeadLetterQueue, max_messages: int = 10_000) -> dict[str, Any]:
    """The fallback redrive (see the module docstring), bounded by `max_messages`."""
    if queue.source_url is None:
        raise ValueError(f"{queue.name} holds failed invocations, not a queue's messages: nothing to redrive to")
    moved = 0
    refused: list[str] = []
    while moved < max_messages:
        messages = sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=min(BATCH, max_messages - moved),
            WaitTimeSeconds=0,
            VisibilityTimeout=COPY_VISIBILITY_SECONDS,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        entries = [
            {"Id": str(n), "MessageBody": m["Body"], **_attributes(m.get("MessageAttributes"))}
            for n, m in enumerate(messages)
        ]
        reply = sqs.send_message_batch(QueueUrl=queue.source_url, Entries=entries)
        accepted = {entry["Id"] for entry in reply.get("Successful", [])}
        done = [
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages) if str(n) in accepted
        ]
        if done:
            sqs.delete_message_batch(QueueUrl=queue.url, Entries=done)
        moved += len(done)
        refused += [entry.get("Code", "unknown") for entry in reply.get("Failed", [])]
        if refused:
            break  # what SQS refused stays in the DLQ (visible again after the copy's timeout)
    return {"queue": queue.name, "to": queue.source, "method": "copy", "moved": moved, "refused": refused}


def _attributes(found: dict[str, Any] | None) -> dict[str, Any]:
    if not found:
        return {}
    kept = {
        key: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
        for key, value in found.items()
    }
    return {"MessageAttributes": kept}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()  # as requests.adapters.outbox_store writes created_at and the claims


def unsent_outbox_items(dynamodb: Any, table: str, before: datetime) -> list[dict[str, Any]]:
    """Outbox items created before `before` and never delivered (low-level attribute values)."""
    found: list[dict[str, Any]] = []
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table,
        ConsistentRead=True,
        FilterExpression="attribute_not_exists(delivered_at) AND created_at < :before",
        ExpressionAttributeValues={":before": {"S": _iso(before)}},
    )
    for page in pages:
        found.extend(page.get("Items", []))
    return found


def hand_on(dynamodb: Any, table: str, item: dict[str, Any], now: datetime, min_age: timedelta) -> bool:
    """Copy one unsent item under `<id>~r` (a new stream insert) and mark the original handed on,
    in one transaction; False if it was delivered, claimed by a live invocation or handed on
    meanwhile (the conditions), which is what makes a second redrive a no-op."""
    original = item["outbox_id"]["S"]
    copy_id = f"{original}~r"
    copy = {k: v for k, v in item.items() if k not in ("sending_since", "delivered_at")}
    copy.update({"outbox_id": {"S": copy_id}, "created_at": {"S": _iso(now)}, "redrive_of": {"S": original}})
    try:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": copy,
                        "ConditionExpression": "attribute_not_exists(outbox_id)",
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"outbox_id": {"S": original}},
                        "UpdateExpression": "SET delivered_at = :now, handed_on_to = :copy "
                        "REMOVE payload, sending_since",
                        "ConditionExpression": "attribute_exists(outbox_id) AND attribute_not_exists(delivered_at) "
                        "AND (attribute_not_exists(sending_since) OR sending_since < :stale)",
                        "ExpressionAttributeValues": {
                            ":now": {"S": _iso(now)},
                            ":copy": {"S": copy_id},
                            ":stale": {"S": _iso(now - min_age)},
                        },
                    }
                },
            ]
        )
    except dynamodb.exceptions.TransactionCanceledException:
        return False
    return True


def redrive_outbox(
    sqs: Any,
    dynamodb: Any,
    queue: DeadLetterQueue,
    table: str,
    *,
    now: datetime | None = None,
    min_age: timedelta = OUTBOX_MIN_AGE,
    max_messages: int = 10_000,
) -> dict[str, Any]:
    """Redeliver what the outbox DLQ's records stand for (see the module docstring)."""
    now = now or datetime.now(UTC)
    received: list[dict[str, Any]] = []
    while len(received) < max_messages:
        batch = sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=min(BATCH, max_messages - len(received)),
            WaitTimeSeconds=0,
            VisibilityTimeout=COPY_VISIBILITY_SECONDS,
        ).get("Messages", [])
        if not batch:
            break
        received.extend(batch)
    failed_records = sum(int(json.loads(m["Body"]).get("DDBStreamBatchInfo", {}).get("batchSize", 0)) for m in received)
    unsent = unsent_outbox_items(dynamodb, table, before=now - min_age)
    handed_on = [i["outbox_id"]["S"] for i in unsent if hand_on(dynamodb, table, i, now, min_age)]
    for start in range(0, len(received), BATCH):  # only after the hand-on: a failure above keeps them
        entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(received[start:][:BATCH])]
        sqs.delete_message_batch(QueueUrl=queue.url, Entries=entries)
    return {
        "queue": queue.name,
        "to": f"{table} (stream)",
        "method": "outbox_hand_on",
        "records": len(received),
        "failed_stream_records": failed_records,
        "handed_on": len(handed_on),
        "skipped": len(unsent) - len(handed_on),
    }
