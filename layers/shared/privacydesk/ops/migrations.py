"""One-off data migrations an operator runs after a deploy that changes a stored format
(`privacydesk migrate ...`). Each is idempotent: a second run finds nothing to change.

`subject-keys`: a request's `subject_key` (the by_subject index: duplicate detection and the
per-person limits) became one spelling per mailbox (kernel.contacts.person_email). Requests stored
before keep the key as it was spelled, so a person's older requests are missed by those checks
until re-keyed. The migration reads the requests table once (a one-off Scan, paged, keys and the
document only) and rewrites each stale key on the condition that it is still the stale one.
"""

from __future__ import annotations

import json
from typing import Any

from privacydesk.requests.domain.model import PrivacyRequest

PAGE = 200


def rekey_subjects(dynamodb: Any, table: str, *, dry_run: bool = False) -> dict[str, Any]:
    """Rewrite every request's stale `subject_key` to the current one (counts only; no personal data)."""
    scanned = stale = rewritten = raced = 0
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table,
        ProjectionExpression="request_id, subject_key, #document",
        ExpressionAttributeNames={"#document": "document"},
        PaginationConfig={"PageSize": PAGE},
    )
    for page in pages:
        for item in page.get("Items", []):
            scanned += 1
            stored = item.get("subject_key", {}).get("S", "")
            current = PrivacyRequest.model_validate(json.loads(item["document"]["S"])).subject.key
            if stored == current:
                continue
            stale += 1
            if dry_run:
                continue
            try:
                dynamodb.update_item(
                    TableName=table,
                    Key={"request_id": item["request_id"]},
                    UpdateExpression="SET subject_key = :current",
                    ConditionExpression="subject_key = :stored",
                    ExpressionAttributeValues={":current": {"S": current}, ":stored": {"S": stored}},
                )
                rewritten += 1
            except dynamodb.exceptions.ConditionalCheckFailedException:
                raced += 1  # rewritten meanwhile (by a write of the request itself, which sets the current key)
    return {
        "migration": "subject-keys",
        "table": table,
        "dry_run": dry_run,
        "scanned": scanned,
        "stale": stale,
        "rewritten": rewritten,
        "changed_meanwhile": raced,
    }
