"""Policy versions through the admin and public APIs, on the template's tables under moto.

The stack is shared by the whole session and other tests expect the seeded 2025-11-30 policy
to stay in force, so versions published here take effect in the future (or in the past,
before the seed) and their becoming current is checked at their effective time.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from privacydesk.policy.adapters.policy_store import PolicyRepository
from privacydesk.policy.domain import policy
from tests.support.harness import ADMIN_IDENTITY, Harness

pytestmark = pytest.mark.integration

SEED_BODY_PATH = "layers/shared/privacydesk/data/policy/2025-11-30.md"


def _seed_body() -> str:
    from tests.support.harness import ROOT

    return (ROOT / SEED_BODY_PATH).read_text()


def _draft(version: str, effective_at: datetime, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    body = _seed_body().replace(
        "We will respond to your request within 30 days.",
        "We will respond to your request within 30 days, and usually within 7.",
    )
    assert "usually within 7" in body
    return {
        "version": version,
        "last_updated": effective_at.date().isoformat(),
        "effective_at": effective_at.isoformat(),
        "significant": True,
        "summary": "We now aim to answer requests within 7 days.",
        "body": body,
        **(changes or {}),
    }


def _unique_version() -> str:
    return f"2099-01-01.{uuid.uuid4().hex[:8]}"


def _publish(stack: Harness, draft: dict[str, Any]):
    return stack.http("POST", "/v1/admin/policy/versions", draft, identity=ADMIN_IDENTITY)


def test_published_version_becomes_current_at_its_effective_time_with_its_last_updated_date(stack: Harness):
    effective = datetime(2099, 3, 1, tzinfo=UTC)
    version = _unique_version()
    reply = _publish(stack, _draft(version, effective, {"last_updated": "2099-02-15"}))
    assert reply.status == 201
    assert reply.json()["version"] == version

    detail = stack.http("GET", f"/v1/policy/versions/{version}").json()
    assert detail["last_updated"] == "2099-02-15"
    assert detail["status"] == "upcoming"
    assert "usually within 7" in detail["body_markdown"]

    repository = PolicyRepository()
    at_effect = policy.current_policy(repository, effective + timedelta(seconds=1))
    assert at_effect.version == version
    assert at_effect.last_updated.isoformat() == "2099-02-15"
    assert policy.current_policy(repository, effective - timedelta(seconds=1)).version != version


def test_versions_list_shows_the_seed_as_current_and_new_versions_as_upcoming(stack: Harness):
    version = _unique_version()
    assert _publish(stack, _draft(version, datetime(2099, 4, 1, tzinfo=UTC))).status == 201
    listed = {v["version"]: v for v in stack.http("GET", "/v1/policy/versions").json()}
    assert listed["2025-11-30"]["status"] == "current"
    assert listed[version]["status"] == "upcoming"
    assert listed[version]["summary"] == "We now aim to answer requests within 7 days."
    assert "body_markdown" not in listed[version]


def test_published_versions_are_immutable(stack: Harness):
    version = _unique_version()
    assert _publish(stack, _draft(version, datetime(2099, 5, 1, tzinfo=UTC))).status == 201

    changed = _publish(stack, _draft(version, datetime(2099, 5, 1, tzinfo=UTC), {"summary": "Something else."}))
    assert changed.status == 409
    assert changed.json()["error"]["code"] == "version_exists"
    assert stack.http("GET", f"/v1/policy/versions/{version}").json()["summary"] == (
        "We now aim to answer requests within 7 days."
    )


def test_republishing_the_same_content_is_a_replay(stack: Harness):
    version = _unique_version()
    draft = _draft(version, datetime(2099, 6, 1, tzinfo=UTC))
    first = _publish(stack, draft)
    again = _publish(stack, draft)
    assert (first.status, again.status) == (201, 200)
    assert again.json()["published_at"] == first.json()["published_at"]


def test_publishing_announces_policy_published_on_the_bus(stack: Harness):
    events = boto3.client("events", region_name=stack.stack.region)
    sqs = boto3.client("sqs", region_name=stack.stack.region)
    bus = stack.physical("EventBus")
    queue_url = sqs.create_queue(QueueName=f"policy-published-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"test-policy-published-{uuid.uuid4().hex[:8]}"
    events.put_rule(
        Name=rule,
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["privacydesk"], "detail-type": ["Policy.Published"]}),
    )
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
    try:
        version = _unique_version()
        assert _publish(stack, _draft(version, datetime(2099, 7, 1, tzinfo=UTC), {"significant": False})).status == 201
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
        details = [json.loads(m["Body"])["detail"] for m in received]
        assert {"version": version, "significant": False} in [
            {"version": d["version"], "significant": d["significant"]} for d in details
        ]
    finally:
        events.remove_targets(Rule=rule, EventBusName=bus, Ids=["queue"])
        events.delete_rule(Name=rule, EventBusName=bus)


def test_diff_shows_only_the_changed_section(stack: Harness):
    version = _unique_version()
    assert _publish(stack, _draft(version, datetime(2099, 8, 1, tzinfo=UTC))).status == 201
    reply = stack.http("GET", "/v1/policy/diff", query=f"from=2025-11-30&to={version}")
    assert reply.status == 200
    diff = reply.json()
    changed = [s for s in diff["sections"] if s["change"] != "unchanged"]
    assert [s["heading"] for s in changed] == ["6. Your Rights"]
    assert "+To exercise any of these rights" in changed[0]["diff"]
    assert "usually within 7" in changed[0]["diff"]
    assert "-To exercise any of these rights" in diff["unified_diff"]


def test_diff_to_defaults_to_the_version_in_force(stack: Harness):
    reply = stack.http("GET", "/v1/policy/diff", query="from=2025-11-30")
    assert reply.status == 200
    assert reply.json()["to_version"] == "2025-11-30"
    assert {s["change"] for s in reply.json()["sections"]} == {"unchanged"}


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("", 422, "invalid_request"),
        ("from=no-such-version", 404, "version_not_found"),
        ("from=2025-11-30&to=..%2Fetc", 422, "invalid_request"),
    ],
)
def test_diff_refuses_bad_input_with_a_code(stack: Harness, query: str, status: int, code: str):
    reply = stack.http("GET", "/v1/policy/diff", query=query)
    assert reply.status == status
    assert reply.json()["error"]["code"] == code


def test_unknown_version_is_a_404_with_a_code(stack: Harness):
    reply = stack.http("GET", "/v1/policy/versions/1999-01-01")
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "version_not_found"


@pytest.mark.parametrize(
    "change",
    [
        {"version": "../etc/passwd"},
        {"effective_at": "2099-01-01T00:00:00"},  # no UTC offset
        {"body": ""},
        {"significant": "maybe"},
        {"last_updated": "yesterday"},
        {"unexpected": True},
    ],
    ids=["bad-id", "naive-time", "empty-body", "not-bool", "bad-date", "extra-field"],
)
def test_publish_refuses_bad_input_with_a_code(stack: Harness, change: dict[str, Any]):
    reply = _publish(stack, _draft(_unique_version(), datetime(2099, 9, 1, tzinfo=UTC), change))
    assert reply.status == 422
    assert reply.json()["error"]["code"] == "invalid_request"


def test_publish_refuses_malformed_json(stack: Harness):
    reply = stack.http("POST", "/v1/admin/policy/versions", raw_body=b"{not json", identity=ADMIN_IDENTITY)
    assert reply.status == 422
    assert reply.json()["error"]["code"] == "invalid_json"


def test_publishing_without_a_signature_is_forbidden(stack: Harness):
    reply = stack.http("POST", "/v1/admin/policy/versions", _draft(_unique_version(), datetime(2099, 1, 1, tzinfo=UTC)))
    assert reply.status == 403
