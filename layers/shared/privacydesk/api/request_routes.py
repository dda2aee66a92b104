"""Public data-rights request routes: submit, verify, follow (status), cancel, and download an
Access export through the emailed link."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.api.wiring import fresh_services, request_services
from privacydesk.clock import utc_now
from privacydesk.logic import export_links, intake
from privacydesk.logic.errors import Conflict, InvalidInput
from privacydesk.models.request_api import NewRequestBody, StatusReply, SubmittedReply, VerifyBody
from privacydesk.models.requests import Channel
from privacydesk.settings import get_settings, on_reload

router = APIGatewayHttpRouter()

IDEMPOTENCY_HEADER = "idempotency-key"


# Documented as a header parameter, so the OpenAPI document (and the fuzzer) know that reading
# or cancelling a request needs the status token; without it the answer is 404, as for no request.
StatusToken = Annotated[str | None, Header(alias="Authorization", description="Bearer <status_token>")]


def _bearer(value: str | None) -> str | None:
    scheme, _, token = (value or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _submit(body: NewRequestBody) -> dict[str, Any]:
    services = fresh_services(router.current_event.request_context.domain_name)  # links point here
    now = utc_now()
    receipt = intake.submit(intake.NewRequest(**body.model_dump()), channel=Channel.API, now=now, services=services)
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
    "An Idempotency-Key header makes retries safe.",
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


@router.post("/v1/requests/<request_id>/verify", summary="Confirm a request with the token from the email")
def verify(request_id: str, body: VerifyBody) -> StatusReply:
    request = intake.verify(request_id, body.token, now=utc_now(), services=fresh_services())
    return StatusReply.of(request)


@router.get(
    "/v1/requests/<request_id>", summary="Status and clocks of a request (Authorization: Bearer <status_token>)"
)
def status(request_id: str, authorization: StatusToken = None) -> StatusReply:
    return StatusReply.of(intake.authorised(request_id, _bearer(authorization), request_services()))


@router.post("/v1/requests/<request_id>/cancel", summary="Cancel a request (Authorization: Bearer <status_token>)")
def cancel(request_id: str, authorization: StatusToken = None) -> StatusReply:
    return StatusReply.of(intake.cancel(request_id, _bearer(authorization), now=utc_now(), services=fresh_services()))


# Powertools' OpenAPIResponseHeader type lacks "required", which OpenAPI allows (and the fuzzer checks).
REDIRECT_HEADERS: dict[str, Any] = {
    "Location": {"description": "The export's presigned URL", "required": True, "schema": {"type": "string"}},
    "Cache-Control": {"required": True, "schema": {"type": "string", "enum": ["no-store"]}},
}

ExportSecret = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The download secret from the completion email",
    ),
]


@router.get(
    "/v1/requests/<request_id>/export",
    summary="Download an Access export (the link in the completion email)",
    description="Checks the emailed secret and redirects to the export, signed for "
    f"{export_links.REDIRECT_SECONDS} seconds. A wrong or unknown secret is 404 export_not_found "
    "(and counts against the caller's address; after a few, 429 too_many_attempts for an hour), "
    "an expired link 410 export_expired.",
    responses={
        302: {
            "description": "Found: Location is the export, downloadable for a few minutes",
            "headers": REDIRECT_HEADERS,
            "content": {},
        }
    },
)
def export(request_id: str, token: ExportSecret) -> Response[None]:
    from privacydesk.dal.abuse_limits import AbuseCounters
    from privacydesk.dal.export_grants import ExportGrants
    from privacydesk.integrations.object_store import S3ObjectStore

    location = export_links.open_export(
        request_id,
        token,
        now=utc_now(),
        grants=ExportGrants(),
        signer=S3ObjectStore(),
        source=router.current_event.request_context.http.source_ip,
        limits=AbuseCounters(),
    )
    return Response(
        status_code=302,
        headers={"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        body=None,
    )
