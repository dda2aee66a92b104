"""Closing a review entry: the DPO records what became of an inbound message that did not become a
request on its own, so nothing a sender wrote is left without an answer or a reason."""

from __future__ import annotations

from datetime import datetime

from privacydesk.email_intake.domain.review_model import ResolveReviewBody, ReviewEntry, ReviewOutcome, ReviewResolution
from privacydesk.kernel.errors import Conflict, InvalidInput


def resolve(entry: ReviewEntry, decision: ResolveReviewBody, *, actor: str, now: datetime) -> ReviewEntry:
    if entry.resolved:
        raise Conflict(f"review entry {entry.entry_id} is already resolved", code="review_already_resolved")
    if decision.outcome is ReviewOutcome.REQUEST_CREATED and decision.request_id is None:
        raise InvalidInput("request_created needs the request_id of the request", code="request_id_required")
    if decision.outcome is not ReviewOutcome.REQUEST_CREATED and decision.request_id is not None:
        raise InvalidInput("request_id goes only with request_created", code="request_id_unexpected")
    resolution = ReviewResolution(
        outcome=decision.outcome,
        note=decision.note,
        request_id=decision.request_id,
        resolved_by=actor,
        resolved_at=now,
    )
    return entry.model_copy(update={"resolved": True, "resolution": resolution})
