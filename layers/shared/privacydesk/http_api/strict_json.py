"""Request bodies are JSON, said so, and of sane depth.

Powertools' request validation reads a body with no Content-Type as JSON, which lets any web page
make a visitor's browser submit (a "simple" cross-site request needs no preflight). Here a body
must be sent as application/json (else 415 unsupported_media_type), and a body nested too deep for
the parser is a 400, not a RecursionError (500).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType

from privacydesk.kernel.errors import InvalidInput

JSON = "application/json"


class StrictJsonValidation(OpenAPIRequestValidationMiddleware):
    def _get_body(self, app: Any) -> dict[str, Any]:
        content_type = app.current_event.headers.get("content-type", "").strip().lower()
        # No body at all (an action such as approve) carries nothing a foreign page could smuggle in.
        if app.current_event.body and content_type.split(";", 1)[0].strip() != JSON:
            error = {"type": "unsupported_content_type", "loc": ("body",), "msg": "send application/json"}
            raise RequestUnsupportedContentType("Unsupported content type", errors=[error])
        try:
            body: dict[str, Any] = super()._get_body(app)
        except RecursionError as error:
            raise InvalidInput("the JSON body is nested too deeply", code="json_too_deep") from error
        return body
