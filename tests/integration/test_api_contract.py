"""What the fuzzer found and what keeps it fixed: the APIs answer 4xx (never 5xx) to methods
and media types they do not take, and their OpenAPI documents describe the error bodies."""

from __future__ import annotations

import pytest

from tests.support.harness import ADMIN_IDENTITY, Harness

pytestmark = pytest.mark.integration


def test_an_undeclared_method_gets_405_with_the_allowed_ones(stack: Harness):
    reply = stack.http("PUT", "/v1/health")
    assert reply.status == 405
    assert reply.headers["allow"] == "GET"
    assert reply.json()["error"]["code"] == "method_not_allowed"


def test_an_unknown_path_is_still_404(stack: Harness):
    reply = stack.http("GET", "/v1/no-such-thing")
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "route_not_found"


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data"])
def test_a_body_that_is_not_json_gets_415(stack: Harness, content_type: str):
    reply = stack.http("POST", "/v1/requests", raw_body=b'{"type": "access"}', headers={"content-type": content_type})
    assert reply.status == 415
    assert reply.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize(("path", "identity"), [("/v1/openapi.json", None), ("/v1/admin/openapi.json", ADMIN_IDENTITY)])
def test_every_operation_documents_our_error_body(stack: Harness, path: str, identity: dict[str, str] | None):
    document = stack.http("GET", path, identity=identity).json()
    error_ref = {"$ref": "#/components/schemas/ErrorReply"}
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    assert operations
    for operation in operations:
        for status in ("422", "4XX"):
            assert operation["responses"][status]["content"]["application/json"]["schema"] == error_ref
        for status in ("413", "429"):  # API Gateway may answer these itself, with its own body
            either = operation["responses"][status]["content"]["application/json"]["schema"]["anyOf"]
            assert either == [error_ref, {"$ref": "#/components/schemas/GatewayMessage"}]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_submit_route_documents_its_202(stack: Harness):
    document = stack.http("GET", "/v1/openapi.json").json()
    assert "202" in document["paths"]["/v1/requests"]["post"]["responses"]
