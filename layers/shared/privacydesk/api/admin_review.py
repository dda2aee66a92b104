"""Admin review routes: inbound messages that did not become a request, with the reason."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.api.admin_requests import _decode_cursor, _encode_cursor
from privacydesk.dal.review_queue import ReviewRepository
from privacydesk.models.base import Model
from privacydesk.models.review import ReviewEntry

router = APIGatewayHttpRouter()


class ReviewListReply(Model):
    items: list[ReviewEntry]
    next_cursor: str | None


@router.get("/v1/admin/review", summary="Inbound messages waiting for review (unreadable, no sender, virus, …)")
def list_review(
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> ReviewListReply:
    items, next_key = ReviewRepository().open_entries(limit=limit, cursor=_decode_cursor(cursor))
    return ReviewListReply(items=items, next_cursor=_encode_cursor(next_key))
