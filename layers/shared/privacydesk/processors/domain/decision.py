"""Which processors a completed Update or Delete concerns, and what each is asked to do.

A processor is told when a store it receives data from was touched for this subject: for a
Delete, a store where records were deleted or anonymized (a store that kept everything, or found
nothing, touched nothing); for an Update, a store where records were corrected, and only when the
processor receives one of the corrected fields. The decision is stored in the request's outcome
at completion (`outcome["processors"]`), so the notices, the requester's completion email and
the DPO's view all read the same list.
"""

from __future__ import annotations

from typing import Any

from privacydesk.processors.domain.model import Processor, ProcessorAction, ProcessorMap
from privacydesk.requests.domain.model import RequestType

ACTION_OF: dict[RequestType, ProcessorAction] = {RequestType.UPDATE: "correct", RequestType.DELETE: "erase"}


def touched_stores(request_type: RequestType, outcome: dict[str, Any]) -> dict[str, set[str] | None]:
    """Store -> the fields touched (None: every field, an erasure) for this request's outcome."""
    stores: dict[str, Any] = outcome.get("stores") or {}
    if request_type == RequestType.DELETE:
        return {
            name: None
            for name, counts in stores.items()
            if isinstance(counts, dict) and counts.get("deleted", 0) + counts.get("anonymized", 0) > 0
        }
    if request_type == RequestType.UPDATE:
        fields = set(outcome.get("fields") or [])
        return {name: fields for name, count in stores.items() if isinstance(count, int) and count > 0}
    return {}


def _concerned(processor: Processor, touched: dict[str, set[str] | None]) -> dict[str, list[str]]:
    """Store -> the fields of it that this processor received and the request touched."""
    found: dict[str, list[str]] = {}
    for store, fields in touched.items():
        received = processor.fields_of(store)
        overlap = received if fields is None else received & fields
        if overlap:
            found[store] = sorted(overlap)
    return found


def processors_to_notify(
    processors: ProcessorMap, request_type: RequestType, outcome: dict[str, Any], known: set[str]
) -> dict[str, dict[str, Any]]:
    """The `outcome["processors"]` entry of a completing request: name -> what it is asked to do.

    `known`: the identifier kinds the request proved (account_id, email, phone). A processor that
    knows the person by none of them could not act on a notice, so it is not sent one."""
    action = ACTION_OF.get(request_type)
    if action is None:
        return {}
    touched = touched_stores(request_type, outcome)
    decided: dict[str, dict[str, Any]] = {}
    for processor in processors.processors:
        if request_type.value not in processor.notify_on or not known & set(processor.identified_by):
            continue
        concerned = _concerned(processor, touched)
        if concerned:
            decided[processor.name] = {
                "title": processor.title,
                "action": action,
                "data": concerned,
                "channel": processor.notify.kind,
                "confirm_within_days": processor.confirm_within_days,
            }
    return decided
