"""Verification secrets: stored as keyed hashes, single-use, expiring, attempt-limited."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from privacydesk.requests.domain.tokens import MAX_ATTEMPTS, challenge_for, hash_secret, matches

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 28, 9, tzinfo=UTC)


def test_the_secret_is_not_stored():
    secret, challenge = challenge_for("req_1", "email_link", NOW)
    assert secret not in repr(challenge)
    assert len(secret) >= 40


def test_the_right_secret_is_accepted_once_within_24_hours():
    secret, challenge = challenge_for("req_1", "email_link", NOW)
    assert challenge.check(secret, NOW + timedelta(hours=23)) is None
    assert challenge.check(secret, NOW + timedelta(hours=24)) == "token_expired"
    assert replace(challenge, used=True).check(secret, NOW) == "token_used"


def test_a_wrong_secret_and_too_many_attempts():
    secret, challenge = challenge_for("req_1", "email_link", NOW)
    assert challenge.check(secret + "x", NOW) == "token_invalid"
    assert replace(challenge, attempts=MAX_ATTEMPTS).check(secret, NOW) == "too_many_attempts"


def test_hashes_are_bound_to_their_request():
    secret, challenge = challenge_for("req_1", "sms_code", NOW)
    assert len(secret) == 6
    assert secret.isdigit()
    assert not matches(secret, challenge.secret_hash, context="req_2")
    assert hash_secret(secret, context="req_1") == challenge.secret_hash
