"""The OpenAPI document an API serves, made to say what the API really answers.

Powertools documents each route's 200 and a FastAPI-style 422. Our errors are different
(`http/errors.py`: every 4xx is `{"error": {"code", "message"}}`), so every operation gets that
body for 422 and for the whole 4XX range. Pydantic also documents a dict whose keys must match a
pattern as `patternProperties` without closing the object, although it rejects other keys; the
document closes it. The fuzzer (tests/e2e/test_public_api_fuzz.py) holds the API to this document.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from privacydesk.kernel.base_model import Model

ERROR_SCHEMA = "ErrorReply"
GATEWAY_SCHEMA = "GatewayMessage"
# API Gateway answers these itself, before any function runs, with a body of its own.
GATEWAY_MESSAGE = {
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
    "description": "API Gateway's own reply (throttling, payload too large).",
}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ErrorField(Model):
    location: list[str]
    type: str


class ErrorDetail(Model):
    code: str
    message: str
    fields: list[ErrorField] | None = None


class ErrorReply(Model):
    error: ErrorDetail


def document(app: APIGatewayHttpResolver, **info: Any) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(app.get_openapi_json_schema(**info))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorReply.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components[ERROR_SCHEMA] = error_schema
    components[GATEWAY_SCHEMA] = GATEWAY_MESSAGE
    error_ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    gateway_ref = {"$ref": f"#/components/schemas/{GATEWAY_SCHEMA}"}
    error_content = {"application/json": {"schema": error_ref}}
    either_content = {"application/json": {"schema": {"anyOf": [error_ref, gateway_ref]}}}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            responses["422"] = {"description": "The request is not valid", "content": error_content}
            responses["4XX"] = {"description": "Refused: see error.code", "content": error_content}
            responses["413"] = {"description": "Body over API Gateway's 10 MB", "content": either_content}
            responses["429"] = {
                "description": "Throttled: by the API's rate limit (API Gateway's body) or per subject (error.code)",
                "content": either_content,
            }
    components.pop("HTTPValidationError", None)  # replaced by ErrorReply everywhere above
    if "#/components/schemas/ValidationError" not in json.dumps(schema):
        components.pop("ValidationError", None)
    _close_pattern_objects(schema)
    return schema


def _close_pattern_objects(node: Any) -> None:
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node and "properties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_pattern_objects(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_objects(value)
