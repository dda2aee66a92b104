"""Emails to the data-protection officer about a request's clocks.

They carry ids, types, statuses and times only, never the requester's email, phone or name:
the DPO opens the request in the admin API to see who it is about.
"""

from __future__ import annotations

from datetime import datetime

from privacydesk.kernel.ports import OutgoingEmail
from privacydesk.requests.domain.model import PrivacyRequest
from privacydesk.requests.domain.notifications import _when

_CLOCK_TEXT = {
    "acknowledge": "acknowledgement (48 business hours)",
    "respond": "response (30 days, with any extensions)",
}


def _facts(request: PrivacyRequest) -> list[str]:
    return [
        f"Request: {request.request_id}",
        f"Type: {request.type.value}   Channel: {request.channel.value}   Status: {request.status.value}",
        f"Received: {_when(request.received_at)}",
        f"Admin API: GET /v1/admin/requests/{request.request_id}",
    ]


def _dpo_email(to: str, request: PrivacyRequest, subject: str, lines: list[str]) -> OutgoingEmail:
    return OutgoingEmail(
        to=to,
        subject=subject,
        text="\n".join([*lines, "", *_facts(request), "", "PrivacyDesk deadline monitor"]),
        headers={"X-PrivacyDesk-Request": request.request_id, "X-PrivacyDesk-Notice": subject.split("]")[0][1:]},
    )


def deadline_warning_email(to: str, request: PrivacyRequest, clock: str, due_at: datetime) -> OutgoingEmail:
    return _dpo_email(
        to,
        request,
        f"[deadline-warning] {request.request_id}: {clock} due {_when(due_at)}",
        [
            f"75% of the {_CLOCK_TEXT[clock]} window of this request has passed.",
            f"It is due by {_when(due_at)}.",
            "Acknowledge, answer or extend it (with a reason) before then."
            if clock == "acknowledge"
            else "Complete it, deny it with a reason, or extend it with a reason before then.",
        ],
    )


def deadline_breach_email(to: str, request: PrivacyRequest, clock: str, due_at: datetime) -> OutgoingEmail:
    return _dpo_email(
        to,
        request,
        f"[deadline-breach] {request.request_id}: {clock} was due {_when(due_at)}",
        [
            f"The {_CLOCK_TEXT[clock]} deadline of this request passed at {_when(due_at)}.",
            "The request is marked overdue and the overdue-requests alarm is raised until it is met.",
        ],
    )
