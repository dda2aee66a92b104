"""public_api under mock_aws with the template's tables and the seeded policy."""

import pytest
from openapi_spec_validator import validate

from tests.support.harness import Harness

pytestmark = pytest.mark.integration


def test_policy_is_the_seeded_version_with_its_notice(stack: Harness):
    reply = stack.http("GET", "/v1/policy")
    assert reply.status == 200
    policy = reply.json()
    assert policy["version"] == "2025-11-30"
    assert policy["last_updated"] == "2025-11-30"
    assert policy["title"] == "Privacy Policy"
    assert any(s["heading"] == "6. Your Rights" for s in policy["sections"])
    assert [n["title"] for n in policy["notices"]] == ["Important Notice: SMS Fallback Route"]


def test_health(stack: Harness):
    reply = stack.http("GET", "/v1/health")
    assert reply.status == 200
    assert reply.json()["status"] == "ok"


def test_openapi_document_is_valid_openapi_3_1(stack: Harness):
    reply = stack.http("GET", "/v1/openapi.json")
    assert reply.status == 200
    document = reply.json()
    validate(document)
    assert "/v1/policy" in document["paths"]


def test_unknown_route_is_a_404_with_a_code(stack: Harness):
    reply = stack.http("GET", "/v1/no-such-thing")
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "route_not_found"
