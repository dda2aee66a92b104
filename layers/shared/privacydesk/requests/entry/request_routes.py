"""Public data-rights request routes: submit, verify, follow (status) and cancel. (Downloading an
Access export is fulfilment's: `fulfilment/entry/export_routes.py`.)"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.bootstrap import fresh_services, request_services
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.errors import Conflict, InvalidInput
from privacydesk.kernel.settings import get_settings, on_reload
from privacydesk.requests.domain import intake
from privacydesk.requests.domain.api_model import NewRequestBody, StatusReply, SubmittedReply, VerifyBody
from privacydesk.requests.domain.model import Channel
from privacydesk.requests.domain.sources import client_source

router = APIGatewayHttpRouter()

IDEMPOTENCY_HEADER = "idempotency-key"


# Documented as a header parameter, so the OpenAPI document (and the fuzzer) know that reading
# or cancelling a request needs the status token; without it the answer is 404, as for no request.
StatusToken = Annotated[str | None, Header(alias="Authorization", description="Bearer <status_token>")]


def _bearer(value: str | None) -> str | None:
    scheme, _, token = (value or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _source() -> str:
    """The caller's client address as API Gateway saw it (per-source limits)."""
    return client_source(router.current_event.request_context.http.source_ip)


def _submit(body: NewRequestBody) -> dict[str, Any]:
    services = fresh_services(router.current_event.request_context.domain_name)  # links point here
    now = utc_now()
    receipt = intake.submit(
        intake.NewRequest(**body.model_dump()), channel=Channel.API, now=now, services=services, source=_source()
    )
    request, status_token = intake.caller_receipt(receipt, now, services)  # never a duplicate's id
    reply = SubmittedReply(
        request_id=request.request_id,
        status=request.status,
        received_at=request.received_at,
        acknowledge_by=request.acknowledge_by,
        respond_by=request.respond_by,
        status_token=status_token,
    )
    return reply.model_dump(mode="json")


@cache
def _idempotent_submit() -> Callable[..., dict[str, Any]]:
    """Powertools idempotency, built on first use (its import is heavy and only this route needs it)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    store = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)
    config = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="body", expires_after_seconds=3600)

    @idempotent_function(data_keyword_argument="data", persistence_store=store, config=config)
    def submit_once(data: dict[str, Any]) -> dict[str, Any]:
        return _submit(NewRequestBody.model_validate(data["body"]))

    return submit_once  # type: ignore[no-any-return]


on_reload(_idempotent_submit.cache_clear)


@router.post(
    "/v1/requests",
    summary="Ask for Access, Update, Delete or Object, or ask a question",
    description="Answers 202 with the request's clocks and a status token shown only once. "
    "An Idempotency-Key header makes retries safe. Too many requests for one contact answer 429 "
    "subject_rate_limited (that day), or source_rate_limited with Retry-After (from one client address).",
    responses={202: {"description": "Received", "content": {"application/json": {"model": SubmittedReply}}}},
)
def submit(body: NewRequestBody) -> tuple[SubmittedReply, int]:
    key = router.current_event.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return SubmittedReply.model_validate(_submit(body)), 202
    if not 8 <= len(key) <= 128:
        raise InvalidInput("Idempotency-Key must be 8 to 128 characters", code="invalid_idempotency_key")
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    try:
        stored = _idempotent_submit()(data={"key": key, "body": body.model_dump(mode="json")})
    except IdempotencyValidationError as error:
        raise Conflict("this Idempotency-Key was used with a different body", code="idempotency_key_reused") from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict("a request with this Idempotency-Key is in progress", code="request_in_progress") from error
    return SubmittedReply.model_validate(stored), 202


@router.post(
    "/v1/requests/<request_id>/verify",
    summary="Confirm a request with the token from the email",
    description="A wrong or unknown token is 400 token_invalid. Attempts are also limited per client "
    "address across every request: past the limit, 429 source_rate_limited with Retry-After.",
)
def verify(request_id: str, body: VerifyBody) -> StatusReply:
    from privacydesk.requests.adapters.source_throttle import SourceBuckets

    request = intake.verify(
        request_id, body.token, now=utc_now(), services=fresh_services(), source=_source(), throttle=SourceBuckets()
    )
    return StatusReply.of(request)


@router.get(
    "/v1/requests/<request_id>", summary="Status and clocks of a request (Authorization: Bearer <status_token>)"
)
def status(request_id: str, authorization: StatusToken = None) -> StatusReply:
    return StatusReply.of(intake.authorised(request_id, _bearer(authorization), request_services()))


@router.post("/v1/requests/<request_id>/cancel", summary="Cancel a request (Authorization: Bearer <status_token>)")
def cancel(request_id: str, authorization: StatusToken = None) -> StatusReply:
    return StatusReply.of(intake.cancel(request_id, _bearer(authorization), now=utc_now(), services=fresh_services()))
