"""Which grants of each role the calls seen exercised, and which none did (least privilege, measured).

A statement no call exercised is either dead weight to remove or used by something the tests do
not run through a handler; the second kind is listed, with its reason, in JUSTIFIED below.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field

from local.iam_guard import SeenCall
from local.iam_policy import Statement

# Statements no handler call exercises, and why they stay. Keys are "<Function>:<origin>"
# patterns (fnmatch) over Statement.origin ("<policy name>/<Sid or index>").
JUSTIFIED: dict[str, str] = {
    "*:service-role/*": "AWS managed policy SAM attaches: used by the Lambda service (logs, SQS and stream pollers)",
    "*:AWSXrayWriteOnlyAccess/*": "Tracing: Active; the X-Ray daemon sends the segments, no botocore call",
    "*:DeadLetterQueuePolicy/*": "the Lambda service dead-letters failed async invocations with the function's role",
    "*:*SQSPolicy/*": "the stream event source's on-failure destination, written by the Lambda service",
    "*:*/UseDataKey": "SSE-KMS: DynamoDB, S3 and SQS use the key on the caller's behalf; no direct KMS call",
    "RetentionTtlAccountingFunction:*/ReadStreamsAndDlq": "SSE-KMS on the streams and DLQ (Lambda service)",
    "RetentionTtlAccountingFunction:*StreamGrant/*": "an existing table's TTL stream mapping: the Lambda service "
    "reads the stream and dead-letters its failures with the function's role",
    "*:*/UseStoreKey": "SSE-KMS with an existing store's own key (its <parameter>KmsKeyArn, given only on a "
    "deploy): DynamoDB, S3 and the stream poller use the key on the caller's behalf; no direct KMS call",
    "RequestOutboxFunction:*/KeepFailedRecords": "the stream event source's on-failure destination (Lambda service)",
    "RetentionSweepFunction:*/ContinueWhenOutOfTime": "self-invocation only when a sweep runs out of time; "
    "a handler run under test finishes within its time",
}


@dataclass
class Exercise:
    """Per statement of one function's role: the actions calls exercised through it."""

    function: str
    statement: Statement
    actions: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return f"{self.function}:{self.statement.origin}"

    def justification(self) -> str | None:
        return next((why for pattern, why in JUSTIFIED.items() if fnmatch.fnmatchcase(self.key, pattern)), None)


def exercise(statements: dict[str, list[Statement]], seen: Iterable[SeenCall]) -> list[Exercise]:
    """Every Allow statement of every role, with the actions that calls seen used through it."""
    table = {
        function: [Exercise(function, s) for s in found if s.effect == "Allow"]
        for function, found in statements.items()
    }
    for call in seen:
        for need in call.needs:
            for entry in table.get(call.function, []):
                if entry.statement.matches(need):
                    entry.actions.add(need.action)
    return [entry for entries in table.values() for entry in entries]


def unexercised(entries: Iterable[Exercise]) -> list[Exercise]:
    """Statements no call exercised and no entry of JUSTIFIED explains."""
    return [e for e in entries if not e.actions and e.justification() is None]


def render(entries: list[Exercise], seen: Iterable[SeenCall] = ()) -> str:
    """The report: per function, each statement with what was exercised (or why it may not be),
    then the calls that were refused (a test provoking one on purpose, or code that swallowed one)."""
    lines = ["# IAM grants and what the tests exercised (local/iam_report.py)", ""]
    function = None
    for entry in sorted(entries, key=lambda e: (e.function, e.statement.origin)):
        if entry.function != function:
            function = entry.function
            lines += ["", f"## {function}"]
        if entry.actions:
            unused = sorted(a for a in entry.statement.actions if "*" not in a and a not in entry.actions)
            status = "used " + ", ".join(sorted(entry.actions)) + (f"; never: {', '.join(unused)}" if unused else "")
        else:
            why = entry.justification()
            status = f"not exercised (justified: {why})" if why else "NOT EXERCISED"
        lines.append(f"- {entry.statement.describe()}\n    {status}")
    refused = sorted({f"{c.function}: {c.service}.{c.operation} {list(c.needs)}" for c in seen if not c.allowed})
    lines += ["", "## Refused calls", *(f"- {line}" for line in refused)]
    return "\n".join(lines) + "\n"
