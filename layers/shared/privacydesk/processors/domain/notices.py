"""What a processor is sent when a correction or erasure completes, and the DPO's overdue warning.

A notice carries a reference (`<request id>/<processor>`), what to do (correct or erase), which
data (store and field names), and only the identifiers the processor already holds and needs to
act (`identified_by` in the data map, and only those the request proved): an SMS gateway gets the
phone number, a payment processor our account id. A correction also carries the corrected values
of the fields that processor receives, since it cannot correct them otherwise. Never a name, and
never the requester's email unless the processor is identified by it (SECURITY.md, processors).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from privacydesk.kernel.ports import OutgoingEmail
from privacydesk.processors.domain.model import Processor, ProcessorMap
from privacydesk.processors.domain.sent_notices import notice_reference
from privacydesk.requests.domain.model import PrivacyRequest
from privacydesk.requests.domain.notifications import COMPANY, manila_date
from privacydesk.requests.domain.outbox import OutboxItem
from privacydesk.requests.domain.scope import proven_scope

NOTICE_KIND: Literal["processor"] = (
    "processor"  # the outbox item kind the request outbox delivers through this capability
)
WEBHOOK_TYPE = "privacydesk.processor_notice"
_VERB = {"erase": "erase", "correct": "correct"}
_LAW = "GDPR Art. 19 and the Philippine Data Privacy Act (Sec. 16(d))"


def proven_identifiers(request: PrivacyRequest) -> dict[str, str]:
    """The subject's identifiers this request proved (kind -> value)."""
    scope = proven_scope(request)
    # The account id is set at fulfilment start, resolved from a proven identifier only.
    known = {"account_id": request.subject.account_id, "email": scope.email, "phone": scope.phone}
    return {kind: value for kind, value in known.items() if value}


def identifiers_for(processor: Processor, request: PrivacyRequest) -> dict[str, str]:
    """The proven identifiers of the subject that this processor is identified by."""
    known = proven_identifiers(request)
    return {key.value: known[key.value] for key in processor.identified_by if key.value in known}


def corrections_for(processor: Processor, request: PrivacyRequest, decided: dict[str, Any]) -> dict[str, str]:
    if decided.get("action") != "correct":
        return {}
    fields = {name for names in (decided.get("data") or {}).values() for name in names}
    return {name: value for name, value in request.corrections.items() if name in fields}


def notice_body(processor: Processor, request: PrivacyRequest, decided: dict[str, Any]) -> dict[str, Any]:
    """The webhook body (and the facts of the email): no more than the processor needs to act."""
    body: dict[str, Any] = {
        "type": WEBHOOK_TYPE,
        "reference": notice_reference(request.request_id, processor.name),
        "controller": COMPANY,
        "action": decided["action"],
        "data": decided["data"],
        "subject": identifiers_for(processor, request),
        "confirm_within_days": processor.confirm_within_days,
    }
    corrections = corrections_for(processor, request, decided)
    if corrections:
        body["corrections"] = corrections
    return body


def notice_email(processor: Processor, to: str, body: dict[str, Any], request_id: str) -> OutgoingEmail:
    action = body["action"]
    data = "; ".join(f"{store}: {', '.join(fields)}" for store, fields in body["data"].items())
    who = ", ".join(f"{key} {value}" for key, value in body["subject"].items()) or "see the reference"
    lines = [
        f"{COMPANY} has {'erased' if action == 'erase' else 'corrected'} a person's data at their request. "
        f"Under {_LAW} we pass this on to you, as a recipient of that data.",
        f"Please {_VERB[action]} the data you hold about this person: {data}.",
        f"The person, as you know them: {who}.",
    ]
    if body.get("corrections"):
        lines.append(
            "Corrected values: " + ", ".join(f"{name} = {value}" for name, value in body["corrections"].items())
        )
    lines += [
        f"Please confirm within {body['confirm_within_days']} days by replying to this email with the reference.",
        f"Reference: {body['reference']}",
        f"{COMPANY} privacy team",
    ]
    return OutgoingEmail(
        to=to,
        subject=f"Please {_VERB[action]} personal data we shared with you ({body['reference']})",
        text="\n\n".join(lines),
        headers={
            "X-PrivacyDesk-Request": request_id,
            "X-PrivacyDesk-Notice": "processor-notice",
            "X-PrivacyDesk-Processor": processor.name,
        },
    )


def notice_items(request: PrivacyRequest, processors: ProcessorMap) -> list[OutboxItem]:
    """The outbox items of a completing request's processor notices (written with its commit)."""
    items: list[OutboxItem] = []
    for name, decided in sorted((request.outcome.get("processors") or {}).items()):
        processor = processors.processor(name)
        if processor is None:  # removed from the data map since the decision: nobody to tell
            continue
        body = notice_body(processor, request, decided)
        payload: dict[str, Any] = {
            "processor": name,
            "channel": processor.notify.kind,
            "confirm_within_days": processor.confirm_within_days,
        }
        if processor.notify.kind == "email":
            message = notice_email(processor, processor.notify.address, body, request.request_id)
            payload["email"] = {"to": message.to, "subject": message.subject, "text": message.text}
            payload["email"]["headers"] = dict(message.headers)
        else:
            payload["webhook"] = {"url": processor.notify.url, "secret_id": processor.notify.secret_id, "body": body}
        items.append(
            OutboxItem(kind=NOTICE_KIND, notice=f"processor:{name}", request_id=request.request_id, payload=payload)
        )
    return items


def overdue_email(to: str, request: PrivacyRequest, processor: str, due_at: datetime) -> OutgoingEmail:
    """To the DPO: ids and dates only, as every DPO email."""
    decided = (request.outcome.get("processors") or {}).get(processor, {})
    return OutgoingEmail(
        to=to,
        subject=f"[processor-overdue] {request.request_id}: {processor} has not confirmed",
        text="\n".join(
            [
                f"{decided.get('title', processor)} ({processor}) was asked to {decided.get('action', 'act')} "
                f"the data of request {request.request_id} and has not confirmed by {manila_date(due_at)}.",
                "Chase it, then record its confirmation:",
                f"  POST /v1/admin/requests/{request.request_id}/processors/{processor}/confirm",
                f"  privacydesk processors confirm {request.request_id} {processor} --note '...'",
                "",
                "PrivacyDesk deadline monitor",
            ]
        ),
        headers={"X-PrivacyDesk-Request": request.request_id, "X-PrivacyDesk-Notice": "processor-overdue"},
    )
