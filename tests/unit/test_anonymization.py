"""Anonymized means unlinkable: the rule both the retention sweep and Delete requests apply, and
the data-map validation that refuses an anonymize store keeping an identifier."""

from __future__ import annotations

import json

import pytest

from privacydesk.datamap.domain.anonymization import (
    ANONYMOUS_PREFIX,
    anonymized_item,
    is_anonymous_key,
    owner_rule,
    recipient_rule,
)
from privacydesk.datamap.domain.model import load_datamap, parse_datamap

pytestmark = pytest.mark.unit

MESSAGE = {
    "account_id": "acct-ana",
    "message_id": "2026-05-14T08:30:00+00:00#gw-88121",
    "recipient": "+639171234567",
    "sender_id": "SANTOSCO",
    "body": "Your code is 1234",
    "status": "delivered",
    "sent_at": "2026-05-14T08:30:00+00:00",
    "route": "primary",
    "expires_at": 1_800_000_000,
    "expiry_bucket": "2026-11-10#3",
}


def _logs():
    return load_datamap().store("message_logs")


def test_an_owners_message_log_keeps_no_identifier_and_no_key_that_maps_back():
    kept = anonymized_item(_logs(), MESSAGE, owner_rule(_logs()))

    text = json.dumps(kept)
    for identifier in ("acct-ana", "gw-88121", "+639171234567", "SANTOSCO", "Your code"):
        assert identifier not in text
    assert is_anonymous_key(kept["account_id"])
    assert kept["account_id"].startswith(f"{ANONYMOUS_PREFIX}2026-05#")
    assert kept["message_id"].startswith("2026-05#")
    assert kept["sent_at"] == "2026-05", "the time is generalised to its month"
    assert {"status": "delivered", "route": "primary"}.items() <= kept.items(), "the counts still work"
    assert not {"expires_at", "expiry_bucket", "anonymized_at"} & set(kept), "no moment that links it to a request"


def test_two_anonymizations_of_one_item_share_no_key():
    first = anonymized_item(_logs(), MESSAGE, owner_rule(_logs()))
    second = anonymized_item(_logs(), MESSAGE, owner_rule(_logs()))
    assert first["message_id"] != second["message_id"]


def test_a_recipients_copy_loses_the_recipients_data_and_stays_with_the_sender():
    kept = anonymized_item(_logs(), MESSAGE, recipient_rule(_logs()))
    assert kept["account_id"] == "acct-ana", "the sender's own record is not the recipient's to erase"
    assert "recipient" not in kept
    assert "body" not in kept


_STORE = """
version: "t"
stores:
  - name: logs
    kind: dynamodb
    category: usage
    description: d
    table: { env: MESSAGE_LOGS_TABLE, resource: MessageLogsTable }
    key_attributes: [account_id, message_id]
    lookups: [{ key: account_id, attribute: account_id }]
    fields: [account_id, message_id, sender_id, body, sent_at]
    identifiers: IDENTIFIERS
    personal_fields: [body]
    erasure: { method: anonymize, fields: [body] }
    ANONYMIZATION
    retention: { period_days: 1, anchor_attribute: sent_at, method: anonymize, legal_basis: x, reason: y }
    legal_basis: x
"""
_SECTION = "anonymization: { kept_as: monthly counts }"


def _store(identifiers: str, anonymization: str = _SECTION) -> str:
    return _STORE.replace("IDENTIFIERS", identifiers).replace("ANONYMIZATION", anonymization)


def test_the_datamap_accepts_an_anonymize_store_that_removes_every_identifier():
    store = parse_datamap(_store("[account_id, message_id, sender_id]")).store("logs")
    assert "sender_id" in store.anonymized_fields


def test_the_datamap_refuses_a_lookup_attribute_not_named_as_an_identifier():
    with pytest.raises(ValueError, match="lookup attributes must be listed as identifiers"):
        parse_datamap(_store("[message_id, sender_id]"))


def test_the_datamap_refuses_an_anonymize_store_that_does_not_say_what_it_keeps():
    with pytest.raises(ValueError, match="anonymization section"):
        parse_datamap(_store("[account_id, sender_id]", anonymization=""))


def test_the_datamap_refuses_an_anonymize_store_that_would_keep_a_personal_field():
    text = _store("[account_id, message_id, sender_id]").replace(
        "personal_fields: [body]", "personal_fields: [body, sent_at]"
    )
    with pytest.raises(ValueError, match="would keep personal fields"):
        parse_datamap(text)


def test_the_datamap_refuses_an_identifier_kept_in_generalised_form():
    text = _store(
        "[account_id, message_id, sender_id, sent_at]", "anonymization: { kept_as: x, generalise: { sent_at: month } }"
    )
    with pytest.raises(ValueError, match="cannot be kept, even generalised"):
        parse_datamap(text)


def test_the_checked_in_datamap_names_the_identifiers_of_every_table():
    for store in load_datamap().stores:
        if store.kind == "dynamodb":
            assert store.identifiers, store.name
            assert set(store.key_attributes[:1]) <= set(store.identifiers), store.name
