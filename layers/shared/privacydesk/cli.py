"""`privacydesk` (or `python -m privacydesk.cli`): the DPO's command line for the admin API.

Every call is SigV4-signed with your AWS credentials (deployed) or the stand-in's local ones.

  privacydesk requests list --status verified
  privacydesk requests show req_...
  privacydesk requests approve|acknowledge req_...
  privacydesk requests deny|hold req_... --reason "..."
  privacydesk requests extend req_... --reason "..." --days 14
  privacydesk requests complete req_... [--message "..."]
  privacydesk requests note req_... --text "..."
  privacydesk audit verify req_...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from privacydesk.admin_client import AdminClient


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="privacydesk", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", help="API base URL (default: PRIVACYDESK_API_URL or the stand-in)")
    parser.add_argument("--region", help="AWS region of the API")
    parser.add_argument("--stack-file", type=Path, help="the stand-in's stack file (default .local/stack.json)")
    groups = parser.add_subparsers(dest="group", required=True)

    requests = groups.add_parser("requests", help="the request queue and the DPO's actions").add_subparsers(
        dest="action", required=True
    )
    listing = requests.add_parser("list")
    listing.add_argument("--status", default="verified")
    listing.add_argument("--due-before")
    listing.add_argument("--limit", type=int, default=25)
    listing.add_argument("--cursor")
    for name in ("show", "approve", "acknowledge"):
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

    audit = groups.add_parser("audit", help="the tamper-evident audit trail").add_subparsers(
        dest="action", required=True
    )
    audit.add_parser("verify").add_argument("request_id")
    return parser


def run(args: argparse.Namespace, client: AdminClient) -> tuple[int, Any]:
    base = "/v1/admin/requests"
    if args.group == "audit":
        from privacydesk.logic.lifecycle import AuditEvent, verify_chain

        reply = client.call("GET", f"{base}/{args.request_id}")
        if reply.status != 200:
            return reply.status, reply.body
        events = [AuditEvent.model_validate(e) for e in reply.body["audit"]]
        report = verify_chain(args.request_id, events)  # recomputed here, not trusted from the server
        return (0 if report.valid else 3), report.model_dump(mode="json")
    if args.action == "list":
        query = {"status": args.status, "due_before": args.due_before, "limit": args.limit, "cursor": args.cursor}
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    client = AdminClient.discover(args.api, args.region, args.stack_file)
    code, body = run(args, client)
    print(json.dumps(body, indent=2, ensure_ascii=False))
    return code


if __name__ == "__main__":
    sys.exit(main())
