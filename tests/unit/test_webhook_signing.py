"""The webhook contract's signatures: what a company service and PrivacyDesk accept of each other."""

from __future__ import annotations

import pytest

from privacydesk.fulfilment.domain.webhook_signing import KeyRing, SignatureRejected, SigningKey, sign, verify

NOW = 1_800_000_000
OLD = SigningKey("k1", "old-secret")
NEW = SigningKey("k2", "new-secret")
BODY = b'{"request_id":"req_1","operation":"erase","status":"done"}'


def code_of(header: str | None, body: bytes, keys: KeyRing, now: int = NOW) -> str:
    with pytest.raises(SignatureRejected) as refused:
        verify(header, body, keys, now_epoch=now)
    return refused.value.code


def test_a_message_signed_with_the_current_key_verifies():
    assert verify(sign(BODY, NEW, now_epoch=NOW), BODY, KeyRing(NEW, OLD), now_epoch=NOW) == NEW


def test_during_a_rotation_the_previous_key_still_verifies():
    assert verify(sign(BODY, OLD, now_epoch=NOW), BODY, KeyRing(NEW, OLD), now_epoch=NOW) == OLD


def test_after_a_rotation_ends_the_retired_key_is_refused():
    assert code_of(sign(BODY, OLD, now_epoch=NOW), BODY, KeyRing(NEW)) == "signature_unknown_key"


def test_a_changed_body_is_refused():
    tampered = BODY.replace(b"done", b"failed")
    assert code_of(sign(BODY, NEW, now_epoch=NOW), tampered, KeyRing(NEW)) == "signature_invalid"


def test_a_replay_after_five_minutes_is_refused():
    assert code_of(sign(BODY, NEW, now_epoch=NOW), BODY, KeyRing(NEW), now=NOW + 301) == "signature_stale"


def test_a_missing_signature_is_refused():
    assert code_of(None, BODY, KeyRing(NEW)) == "signature_missing"


def test_a_malformed_signature_is_refused():
    assert code_of("t=soon,kid=k2", BODY, KeyRing(NEW)) == "signature_malformed"


def test_the_key_ring_reads_the_secret_the_template_generates_and_a_rotated_one():
    first = KeyRing.from_secret_string('{"current_key_id": "k1", "current_secret": "abc"}')
    assert first == KeyRing(SigningKey("k1", "abc"))
    rotated = KeyRing.from_secret_string(
        '{"current_key_id": "k2", "current_secret": "def", "previous_key_id": "k1", "previous_secret": "abc"}'
    )
    assert rotated == KeyRing(SigningKey("k2", "def"), SigningKey("k1", "abc"))


def test_the_readme_signature_example_signs_and_verifies_like_the_reference():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Your own services (webhook contract)", 1)[1]
    example: dict[str, object] = {}
    exec(section.split("```python\n", 1)[1].split("```", 1)[0], example)  # noqa: S102 - our own README
    header = example["sign"](BODY, NEW.key_id, NEW.secret, NOW)  # type: ignore[operator]
    assert header == sign(BODY, NEW, now_epoch=NOW)
    assert example["verify"](header, BODY, {NEW.key_id: NEW.secret}, NOW)  # type: ignore[operator]
    assert not example["verify"](header, BODY + b" ", {NEW.key_id: NEW.secret}, NOW)  # type: ignore[operator]
