"""Rate limits a requester meets: per contact per day on submitting (verification attempts are
limited per challenge, see test_requests_api.py; the HTTP API's throttling is tested on the
stand-in's gateway, tests/e2e/test_stand_in.py)."""

from __future__ import annotations

import pytest

from tests.support.flows import submit, unique_email
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
    for body in FIVE_DIFFERENT_REQUESTS:
        reply = submit(stack, email=email, **body)
        assert reply.status == 202, reply.body
    sixth = submit(stack, type="access", email=email)
    assert sixth.status == 429
    assert sixth.json()["error"]["code"] == "subject_rate_limited"


def test_the_limit_is_per_contact(stack: Harness):
    email = unique_email("limited")
    for body in FIVE_DIFFERENT_REQUESTS:
        submit(stack, email=email, **body)
    assert submit(stack, type="access", email=unique_email("other")).status == 202
