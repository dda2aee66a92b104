"""Rate limits a requester meets: per contact per day on submitting (per client address, see
test_source_limits.py; verification attempts are limited per challenge, see test_requests_api.py;
the HTTP API's throttling is tested on the stand-in's gateway, tests/e2e/test_stand_in.py)."""

from __future__ import annotations

import pytest

from tests.support.flows import submit, submit_and_verify, unique_email
from tests.support.harness import Harness

pytestmark = pytest.mark.integration

FIVE_DIFFERENT_REQUESTS = [
    {"type": "access"},
    {"type": "delete"},
    {"type": "inquiry", "details": "Which data do you keep?"},
    {"type": "object", "purposes": ["marketing"]},
    {"type": "update", "corrections": {"name": "New Name"}},
]


def test_a_contact_gets_at_most_five_requests_a_day(stack: Harness):
    email = unique_email("limited")
    confirmed = submit_and_verify(stack, email=email, type="access")  # confirmed, then withdrawn: it counts
    bearer = {"Authorization": f"Bearer {confirmed['status_token']}"}
    assert stack.http("POST", f"/v1/requests/{confirmed['request_id']}/cancel", headers=bearer).status == 200
    for body in FIVE_DIFFERENT_REQUESTS[1:]:
        reply = submit(stack, email=email, **body)
        assert reply.status == 202, reply.body
    sixth = submit(stack, type="access", email=email)  # a new request: the earlier access is closed
    assert sixth.status == 429
    assert sixth.json()["error"]["code"] == "subject_rate_limited"


def test_asking_again_for_an_open_request_is_never_refused_by_the_daily_cap(stack: Harness):
    email = unique_email("limited")
    for body in FIVE_DIFFERENT_REQUESTS:
        submit(stack, email=email, **body)
    again = submit(stack, type="access", email=email)  # the open access request is re-used
    assert again.status == 202, again.body


def test_the_limit_is_per_contact(stack: Harness):
    email = unique_email("limited")
    for body in FIVE_DIFFERENT_REQUESTS:
        submit(stack, email=email, **body)
    assert submit(stack, type="access", email=unique_email("other")).status == 202
