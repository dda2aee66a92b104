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
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

BATCH = 10  # SQS's most messages per receive, send and delete batch
COPY_VISIBILITY_SECONDS = 60  # a message being copied is hidden this long from other readers


@dataclass(frozen=True)
class DeadLetterQueue:
    name: str  # the template's logical id (or the queue's name)
    url: str
    arn: str
    messages: int  # ApproximateNumberOfMessages (+ in flight): SQS's estimate
    source: str | None  # the queue whose RedrivePolicy names this one; None: an async-invoke DLQ
    source_url: str | None = None
    source_arn: str | None = None

    def view(self) -> dict[str, Any]:
        shown = asdict(self)
        shown["redrivable"] = self.source is not None
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
            )
        )
    return result


def find(dead_letters: list[DeadLetterQueue], name: str) -> DeadLetterQueue:
    """A DLQ by its own name or by its source queue's name."""
    for queue in dead_letters:
        if name in (queue.name, queue.source):
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
