"""Admin review routes: inbound messages that did not become a request, with the reason, and how
the DPO closes them."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.email_intake.adapters.review_queue import ReviewRepository
from privacydesk.email_intake.domain import review
from privacydesk.email_intake.domain.review_model import ResolveReviewBody, ReviewEntry
from privacydesk.kernel.admin_http import decode_cursor, encode_cursor, signed_caller
from privacydesk.kernel.base_model import Model
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.errors import NotFound
from privacydesk.kernel.observability import logger
from privacydesk.requests.adapters.requests_store import RequestRepository

router = APIGatewayHttpRouter()
EntryId = Annotated[str, Path(min_length=1, max_length=256, description="A review entry id (email_<messageId>).")]


class ReviewListReply(Model):
    items: list[ReviewEntry]
    next_cursor: str | None


@router.get("/v1/admin/review", summary="Inbound messages waiting for review (unreadable, no sender, virus, …)")
def list_review(
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> ReviewListReply:
    items, next_key = ReviewRepository().open_entries(limit=limit, cursor=decode_cursor(cursor))
    return ReviewListReply(items=items, next_cursor=encode_cursor(next_key))


def _entry(entry_id: str) -> ReviewEntry:
    entry = ReviewRepository().get(entry_id)
    if entry is None:
        raise NotFound(f"review entry {entry_id} does not exist", code="review_entry_not_found")
    return entry


@router.get("/v1/admin/review/<entry_id>", summary="One inbound message under review, open or resolved")
def get_review(entry_id: EntryId) -> ReviewEntry:
    return _entry(entry_id)


@router.post(
    "/v1/admin/review/<entry_id>/resolve",
    summary="Close a review entry: a request was created for it, it was answered, or it was dismissed",
)
def resolve_review(entry_id: EntryId, body: ResolveReviewBody) -> ReviewEntry:
    resolved = review.resolve(_entry(entry_id), body, actor=signed_caller(router.current_event), now=utc_now())
    if body.request_id is not None and RequestRepository().get(body.request_id) is None:
        raise NotFound(f"request {body.request_id} does not exist", code="request_not_found")
    closed = ReviewRepository().close(resolved)
    logger.info("review entry resolved", extra={"entry_id": entry_id, "outcome": body.outcome.value})
    return closed
