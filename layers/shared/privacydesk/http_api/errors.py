"""The one place where domain errors and bad input become HTTP replies.

Every error body is `{"error": {"code", "message"}}`; validation errors add `fields`
(locations and error types, never the submitted values, which may be personal data).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from privacydesk.kernel.errors import DomainError
from privacydesk.kernel.observability import logger


def error_response(status: int, code: str, message: str, **extra: Any) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message, **extra}},
    )


ResponseDecorator = Callable[[Response[Any], BaseProxyEvent | None], Response[Any]]


def _internal_error() -> tuple[int, str, str]:
    return HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong on our side."


# Seconds a caller waits before retrying when AWS throttled us past botocore's own retries.
RETRY_AFTER_SECONDS = 5


def _methods_for(app: APIGatewayHttpResolver, path: str) -> set[str]:
    """The methods some route answers on `path` (for 405 and its Allow header, RFC 9110 15.5.6)."""
    routes = app._static_routes + app._dynamic_routes  # Powertools keeps its routes here
    return {route.method for route in routes if route.rule.match(path)}


def install_error_handlers(app: APIGatewayHttpResolver, decorate: ResponseDecorator | None = None) -> None:
    """Register the error mapping. `decorate` adds an app's common headers to error replies too
    (exception handlers run outside the middleware stack)."""

    def reply(status: int, code: str, message: str, **extra: Any) -> Response[Any]:
        response = error_response(status, code, message, **extra)
        return decorate(response, app.current_event) if decorate else response

    def unexpected(error: Exception) -> Response[Any]:
        from privacydesk.kernel.aws import is_transient

        if is_transient(error):
            # AWS throttled or was unavailable after botocore's retries: nothing half-done is kept
            # (writes are transactions), so the caller retries, with the same Idempotency-Key.
            logger.warning("aws unavailable", extra={"error_type": type(error).__name__})
            busy = reply(HTTPStatus.SERVICE_UNAVAILABLE, "service_busy", "We are busy; try again shortly.")
            busy.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return busy
        # A bug, not bad input: log the type only (the message may echo user data).
        logger.exception("unhandled error", extra={"error_type": type(error).__name__})
        return reply(*_internal_error())

    def unsupported_media_type() -> Response[Any]:
        return reply(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Send the body as application/json.")

    @app.exception_handler(DomainError)
    def on_domain_error(error: DomainError) -> Response[Any]:
        logger.info("domain error", extra={"code": error.code, "status": error.status})
        response = reply(error.status, error.code, error.message)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:  # a throttled caller is told when to come back (RFC 9110 10.2.3)
            response.headers["Retry-After"] = str(max(1, retry_after))
        return response

    @app.exception_handler(RequestValidationError)
    def on_invalid_request(error: RequestValidationError) -> Response[Any]:
        fields = [
            {"location": [str(part) for part in item.get("loc", ())], "type": item.get("type", "invalid")}
            for item in error.errors()
        ]
        code = "invalid_json" if any(f["type"] == "json_invalid" for f in fields) else "invalid_request"
        return reply(HTTPStatus.UNPROCESSABLE_ENTITY, code, "The request is not valid.", fields=fields)

    @app.exception_handler(RequestUnsupportedContentType)
    def on_unsupported_media_type(_: RequestUnsupportedContentType) -> Response[Any]:
        return unsupported_media_type()

    @app.exception_handler(ValueError)
    def on_value_error(error: ValueError) -> Response[Any]:
        # Powertools raises a bare ValueError for a multipart body without a boundary; our bodies are
        # JSON only, so that is the client's media type. Any other ValueError is a bug (500).
        if app.current_event.headers.get("content-type", "").strip().lower().startswith("multipart/"):
            return unsupported_media_type()
        return unexpected(error)

    @app.not_found
    def on_not_found(_: NotFoundError) -> Response[Any]:
        allowed = _methods_for(app, app.current_event.path)
        if allowed:
            response = reply(HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed here.")
            response.headers["Allow"] = ", ".join(sorted(allowed))
            return response
        return reply(HTTPStatus.NOT_FOUND, "route_not_found", "No such route.")

    @app.exception_handler(Exception)
    def on_unexpected(error: Exception) -> Response[Any]:
        return unexpected(error)
