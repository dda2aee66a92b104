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


def test_a_wrong_code_and_too_many_attempts():
    secret, challenge = challenge_for("req_1", "sms_code", NOW)
    assert challenge.check("x" + secret, NOW) == "token_invalid"
    assert replace(challenge, attempts=MAX_ATTEMPTS).check(secret, NOW) == "too_many_attempts"
    assert replace(challenge, attempts=MAX_ATTEMPTS).check(secret, NOW, locked=False) == "too_many_attempts"


def test_a_link_never_locks_however_many_wrong_guesses_it_took():
    secret, challenge = challenge_for("req_1", "email_link", NOW)
    assert challenge.check(secret + "x", NOW) == "token_invalid"
    guessed_at = replace(challenge, attempts=MAX_ATTEMPTS * 10)
    assert guessed_at.check(secret, NOW) is None
    assert guessed_at.check(secret, NOW, locked=True) is None  # the person's daily cap locks codes only
    assert not guessed_at.locked(NOW)


def test_a_locked_code_stays_locked_until_it_expires_and_no_longer():
    _, challenge = challenge_for("req_1", "sms_code", NOW)
    locked = replace(challenge, attempts=MAX_ATTEMPTS)
    assert locked.locked(NOW + timedelta(hours=23))
    assert not locked.locked(NOW + timedelta(hours=24))


def test_hashes_are_bound_to_their_request():
    secret, challenge = challenge_for("req_1", "sms_code", NOW)
    assert len(secret) == 6
    assert secret.isdigit()
    assert not matches(secret, challenge.secret_hash, context="req_2")
    assert hash_secret(secret, context="req_1") == challenge.secret_hash
