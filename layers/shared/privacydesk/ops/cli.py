"""`privacydesk` (or `python -m privacydesk.ops.cli`): the DPO's command line for the admin API.

Every call is SigV4-signed with your AWS credentials (deployed) or the stand-in's local ones.

  privacydesk requests list --status verified
  privacydesk requests show req_...
  privacydesk requests approve|acknowledge req_...
  privacydesk requests deny|hold req_... --reason "..."
  privacydesk requests extend req_... --reason "..." --days 14
  privacydesk requests complete req_... [--message "..."]
  privacydesk requests note req_... --text "..."
  privacydesk requests reissue-export req_...   (a new Access download link; the old one stops working)
  privacydesk audit verify req_...
  privacydesk processors list req_...      (each processor told of a correction or erasure, and its state)
  privacydesk processors confirm req_... sms_gateway --note "..."
  privacydesk report --from 2026-01-01 --to 2027-01-01
                                            (the compliance report: requests, manual tasks, processor notices)
  privacydesk review list                   (inbound messages that did not become a request)
  privacydesk review show email_...
  privacydesk review resolve email_... --outcome dismissed|answered|request_created --note "..." [--request-id req_...]
  privacydesk dlq list                      (each dead-letter queue, its messages and its source)
  privacydesk dlq redrive NoticeSendDeadLetterQueue [--copy]
  privacydesk dlq redrive OutboxDeadLetterQueue [--min-age-seconds 300]
                                            (redelivers the outbox items still unsent)
  privacydesk migrate subject-keys [--dry-run]
                                            (re-keys requests stored before person keys)
  privacydesk --stack-name NAME --region R doctor [--json]
                                            (what a deploy cannot set: SES, SNS SMS, DPO alarm
                                             subscription, parameters, concurrency quota; read-only)

`dlq` and `migrate` talk to AWS directly with your AWS credentials: `--stack-name` finds a deployed stack's
queues and tables through CloudFormation; without it, the stand-in's stack file is used.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from privacydesk.ops.admin_client import AdminClient

DEFAULT_LIST_STATUS = "verified"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="privacydesk", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", help="API base URL (default: PRIVACYDESK_API_URL or the stand-in)")
    parser.add_argument("--region", help="AWS region of the API")
    parser.add_argument("--stack-file", type=Path, help="the stand-in's stack file (default .local/stack.json)")
    parser.add_argument("--stack-name", help="dlq, doctor: a deployed stack (found through CloudFormation)")
    groups = parser.add_subparsers(dest="group", required=True)

    requests = groups.add_parser("requests", help="the request queue and the DPO's actions").add_subparsers(
        dest="action", required=True
    )
    listing = requests.add_parser("list")
    listing.add_argument(
        "--status",
        default=None,
        help=f"pending_verification, verified, in_progress, ... (default: {DEFAULT_LIST_STATUS})",
    )
    listing.add_argument("--due-before")
    listing.add_argument("--limit", type=int, default=25)
    listing.add_argument("--cursor")
    for name in ("show", "approve", "acknowledge", "reissue-export"):
        requests.add_parser(name).add_argument("request_id")
    for name in ("deny", "hold"):
        action = requests.add_parser(name)
        action.add_argument("request_id")
        action.add_argument("--reason", required=True)
    extend = requests.add_parser("extend")
    extend.add_argument("request_id")
    extend.add_argument("--reason", required=True)
    extend.add_argument("--days", type=int, required=True)
    complete = requests.add_parser("complete")
    complete.add_argument("request_id")
    complete.add_argument("--message")
    note = requests.add_parser("note")
    note.add_argument("request_id")
    note.add_argument("--text", required=True)

    processors = groups.add_parser(
        "processors", help="processors told of a correction or erasure: list, confirm"
    ).add_subparsers(dest="action", required=True)
    processors.add_parser("list").add_argument("request_id")
    confirm = processors.add_parser("confirm")
    confirm.add_argument("request_id")
    confirm.add_argument("processor")
    confirm.add_argument("--note", required=True, help="how the processor confirmed (e.g. its reply's date)")

    report = groups.add_parser("report", help="the compliance report over requests received in [from, to)")
    report.add_argument("--from", dest="period_from", required=True, help="YYYY-MM-DD (Asia/Manila) or ISO 8601")
    report.add_argument("--to", dest="period_to", required=True)

    audit = groups.add_parser("audit", help="the tamper-evident audit trail").add_subparsers(
        dest="action", required=True
    )
    audit.add_parser("verify").add_argument("request_id")

    review = groups.add_parser("review", help="inbound messages under review: list, show, resolve").add_subparsers(
        dest="action", required=True
    )
    review_list = review.add_parser("list")
    review_list.add_argument("--limit", type=int, default=25)
    review_list.add_argument("--cursor")
    review.add_parser("show").add_argument("entry_id")
    resolve = review.add_parser("resolve")
    resolve.add_argument("entry_id")
    resolve.add_argument("--outcome", required=True, choices=["request_created", "answered", "dismissed"])
    resolve.add_argument("--note", required=True)
    resolve.add_argument("--request-id")

    tasks = groups.add_parser("tasks", help="manual steps of requests: list, complete").add_subparsers(
        dest="action", required=True
    )  # [issue 20]
    tasks_list = tasks.add_parser("list", help="the open manual tasks (or every task of --request-id)")
    tasks_list.add_argument("--request-id")
    task_done = tasks.add_parser("complete", help="mark a manual task done (the request then moves on)")
    task_done.add_argument("task_id", help="<request_id>/<store>, as `tasks list` shows it")
    task_done.add_argument("--note", required=True)
    task_done.add_argument("--records", type=int, default=0, help="how many records you found, exported or erased")
    task_done.add_argument("--attachment", type=Path, help="Access: a file to include in the person's export")

    dlq = groups.add_parser("dlq", help="dead-letter queues: list them, redrive one").add_subparsers(
        dest="action", required=True
    )
    dlq.add_parser("list")
    redrive = dlq.add_parser("redrive", help="move a DLQ's messages back to the queue they came from")
    redrive.add_argument("queue", help="the DLQ's name or its source queue's, e.g. NoticeSendDeadLetterQueue")
    redrive.add_argument(
        "--copy",
        action="store_true",
        help="receive/send/delete batches instead of SQS StartMessageMoveTask "
        "(the default on the stand-in, whose SQS lacks StartMessageMoveTask)",
    )
    redrive.add_argument("--max-messages", type=int, default=10_000, help="--copy moves at most this many")
    redrive.add_argument(
        "--min-age-seconds",
        type=int,
        default=300,
        help="OutboxDeadLetterQueue: redeliver only outbox items at least this old (younger ones may "
        "still be in the stream's own retries)",
    )

    migrate = groups.add_parser("migrate", help="one-off data migrations after a deploy (idempotent)").add_subparsers(
        dest="action", required=True
    )
    rekey = migrate.add_parser("subject-keys", help="re-key older requests to one spelling per mailbox")
    rekey.add_argument("--dry-run", action="store_true", help="count what would change; change nothing")

    doctor = groups.add_parser("doctor", help="check what a deploy cannot set, and say what to do (read-only)")
    doctor.add_argument("--json", action="store_true", help="machine-readable findings")
    return parser


def _stack_resources(args: argparse.Namespace, kinds: tuple[str, ...]) -> tuple[Any, dict[str, dict[str, str]], bool]:
    """A client factory (service -> client), the stack's resources of `kinds` (type -> logical id
    -> physical id), and whether it is the stand-in."""
    import boto3

    if args.stack_name:
        session = boto3.session.Session(region_name=args.region)
        pages = (
            session.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=args.stack_name)
        )
        summaries = [resource for page in pages for resource in page["StackResourceSummaries"]]
        found = {
            kind: {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries if r["ResourceType"] == kind}
            for kind in kinds
        }
        return session.client, found, False
    from privacydesk.ops.admin_client import DEFAULT_STACK_FILE

    path = args.stack_file or DEFAULT_STACK_FILE
    if not path.exists():
        raise SystemExit("say which stack: --stack-name NAME (deployed), or start the stand-in (make run)")
    stack = json.loads(path.read_text())
    credentials = stack.get("credentials") or {}

    def client(service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            region_name=args.region or stack["region"],
            endpoint_url=stack.get("endpoint_url"),
            aws_access_key_id=credentials.get("aws_access_key_id"),
            aws_secret_access_key=credentials.get("aws_secret_access_key"),
        )

    types = stack.get("types", {})
    found = {kind: {n: p for n, p in stack["physical"].items() if types.get(n) == kind} for kind in kinds}
    return client, found, True


def run_dead_letters(args: argparse.Namespace) -> tuple[int, Any]:
    from privacydesk.ops import dead_letters

    clients, resources, stand_in = _stack_resources(args, ("AWS::SQS::Queue", "AWS::DynamoDB::Table"))
    sqs = clients("sqs")
    found = dead_letters.dead_letter_queues(sqs, resources["AWS::SQS::Queue"])
    if args.action == "list":
        return 0, [queue.view() for queue in found]
    try:
        queue = dead_letters.find(found, args.queue)
        if queue.stream_of is not None:
            table = resources["AWS::DynamoDB::Table"][queue.stream_of]
            return 0, dead_letters.redrive_outbox(
                sqs,
                clients("dynamodb"),
                queue,
                table,
                min_age=timedelta(seconds=args.min_age_seconds),
                max_messages=args.max_messages,
            )
        if args.copy or stand_in:
            return 0, dead_letters.copy_back(sqs, queue, max_messages=args.max_messages)
        return 0, dead_letters.start_move_task(sqs, queue)
    except (LookupError, ValueError) as error:
        return 2, {"error": str(error)}


def run_migration(args: argparse.Namespace) -> tuple[int, Any]:
    from privacydesk.ops import migrations

    clients, resources, _ = _stack_resources(args, ("AWS::DynamoDB::Table",))
    table = resources["AWS::DynamoDB::Table"].get("RequestsTable")
    if not table:
        return 2, {"error": "the stack has no RequestsTable"}
    return 0, migrations.rekey_subjects(clients("dynamodb"), table, dry_run=args.dry_run)


def run_review(args: argparse.Namespace, client: AdminClient) -> tuple[int, Any]:
    base = "/v1/admin/review"
    if args.action == "list":
        reply = client.call("GET", base, query={"limit": args.limit, "cursor": args.cursor})
    elif args.action == "show":
        reply = client.call("GET", f"{base}/{args.entry_id}")
    else:
        body = {"outcome": args.outcome, "note": args.note}
        if args.request_id:
            body["request_id"] = args.request_id
        reply = client.call("POST", f"{base}/{args.entry_id}/resolve", body)
    return (0 if reply.status < 400 else 1), reply.body


def run_tasks(args: argparse.Namespace, client: AdminClient) -> tuple[int, Any]:
    if args.action == "list":
        reply = client.call("GET", "/v1/admin/tasks", query={"request_id": args.request_id})
    else:
        import base64

        body: dict[str, Any] = {"note": args.note, "records": args.records}
        if args.attachment is not None:
            content = base64.b64encode(args.attachment.read_bytes()).decode()
            body["attachment"] = {"file_name": args.attachment.name, "content_base64": content}
        reply = client.call("POST", f"/v1/admin/tasks/{args.task_id}/complete", body)
    return (0 if reply.status < 400 else 1), reply.body


def run(args: argparse.Namespace, client: AdminClient) -> tuple[int, Any]:
    base = "/v1/admin/requests"
    if args.group == "review":
        return run_review(args, client)
    if args.group == "tasks":
        return run_tasks(args, client)
    if args.group == "report":
        query = {"from": args.period_from, "to": args.period_to, "format": "json"}
        reply = client.call("GET", "/v1/admin/reports/requests", query=query)
        return (0 if reply.status < 400 else 1), reply.body
    if args.group == "processors":
        path = f"{base}/{args.request_id}/processors"
        if args.action == "list":
            reply = client.call("GET", path)
        else:
            reply = client.call("POST", f"{path}/{args.processor}/confirm", {"text": args.note})
        return (0 if reply.status < 400 else 1), reply.body
    if args.group == "audit":
        from privacydesk.requests.domain.audit_trail import AuditEvent, verify_chain

        reply = client.call("GET", f"{base}/{args.request_id}")
        if reply.status != 200:
            return reply.status, reply.body
        events = [AuditEvent.model_validate(e) for e in reply.body["audit"]]
        report = verify_chain(args.request_id, events)  # recomputed here, not trusted from the server
        return (0 if report.valid else 3), report.model_dump(mode="json")
    if args.action == "list":
        if args.status is None:
            # Said on stderr (stdout stays JSON): an empty list would otherwise look like no requests at all.
            print(f"listing {DEFAULT_LIST_STATUS} requests (the default; --status to choose)", file=sys.stderr)
        query = {
            "status": args.status or DEFAULT_LIST_STATUS,
            "due_before": args.due_before,
            "limit": args.limit,
            "cursor": args.cursor,
        }
        reply = client.call("GET", base, query=query)
    elif args.action == "show":
        reply = client.call("GET", f"{base}/{args.request_id}")
    else:
        body: dict[str, Any] = {}
        if args.action in ("deny", "hold"):
            body = {"reason": args.reason}
        elif args.action == "extend":
            body = {"reason": args.reason, "days": args.days}
        elif args.action == "complete" and args.message:
            body = {"message": args.message}
        elif args.action == "note":
            body = {"text": args.text}
        reply = client.call("POST", f"{base}/{args.request_id}/{args.action}", body)
    return (0 if reply.status < 400 else 1), reply.body


def run_doctor(args: argparse.Namespace) -> int:
    from privacydesk.ops import doctor
    from privacydesk.ops.admin_client import DEFAULT_STACK_FILE

    if args.stack_name:
        stack = doctor.deployed_stack(args.stack_name, args.region)
    else:
        path = args.stack_file or DEFAULT_STACK_FILE
        if not path.exists():
            raise SystemExit("say which stack: --stack-name NAME (deployed), or start the stand-in (make run)")
        stack = doctor.stand_in_stack(path, args.region)
    findings = doctor.diagnose(stack)
    if args.json:
        print(json.dumps(doctor.as_json(stack, findings), indent=2))
    else:
        print(doctor.render(stack, findings))
    return doctor.exit_code(findings)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.group == "doctor":
        return run_doctor(args)
    if args.group == "dlq":
        code, body = run_dead_letters(args)
    elif args.group == "migrate":
        code, body = run_migration(args)
    else:
        code, body = run(args, AdminClient.discover(args.api, args.region, args.stack_file))
    print(json.dumps(body, indent=2, ensure_ascii=False))
    return code


if __name__ == "__main__":
    sys.exit(main())
