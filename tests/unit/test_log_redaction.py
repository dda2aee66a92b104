"""The log formatter scrubs email addresses and phone numbers from every line, and the PII
scanner the integration and e2e suites run over their logs finds what it must."""

from __future__ import annotations

import io
import json

import pytest
from aws_lambda_powertools import Logger

from privacydesk.kernel.observability import EMAIL_MARKER, PHONE_MARKER, RedactingFormatter, redact
from tests.support.pii import find_personal_data

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from ana.santos@example.com", f"from {EMAIL_MARKER}"),
        ("to First.Last+tag@mail.example.co.uk now", f"to {EMAIL_MARKER} now"),
        ("sms +639171234567", f"sms {PHONE_MARKER}"),
        ("sms +63 917 123 4567.", f"sms {PHONE_MARKER}."),
        ("sms +63-917-123-4567", f"sms {PHONE_MARKER}"),
        ("mobile 09171234567", f"mobile {PHONE_MARKER}"),
    ],
)
def test_personal_data_is_redacted(text: str, expected: str):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28T18:00:00+08:00",
        "2026-11-28 18:01:34,789+0000",
        "request req-01JDQ2N8W4 policy 2025-11-30 epoch 1732800000000",
        "Root=1-5759e988-bd862e3fe1be46a994272793",
        "account acct-demo-00042 status 404",
        '"correlation_id":"09171234567a4006a3cd49b3012fe3f5"',  # a uuid's hex that starts like a mobile
        "token +639171234567abcdef",
    ],
)
def test_ids_and_timestamps_are_left_alone(text: str):
    assert redact(text) == text


def test_the_logger_scrubs_messages_extra_keys_and_exceptions():
    stream = io.StringIO()
    log = Logger(service="redaction-test", stream=stream, logger_formatter=RedactingFormatter())
    log.info("verification sent to ana.santos@example.com", extra={"recipient": "+639171234567"})
    try:
        raise ValueError("no account for ben.cruz@example.com")
    except ValueError:
        log.exception("lookup failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == f"verification sent to {EMAIL_MARKER}"
    assert lines[0]["recipient"] == PHONE_MARKER
    assert "ben.cruz" not in lines[1]["exception"]
    assert EMAIL_MARKER in lines[1]["exception"]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('{"message":"hello Ana Santos"}', "demo name"),
        ('{"message":"Dear Cruz"}', "demo name"),
        ('{"to":"carla.reyes@example.com"}', "demo email"),
        ('{"to":"639175550101"}', "demo phone"),
        ('{"to":"someone@else.org"}', "email address"),
        ('{"to":"+4915112345678"}', "phone number"),
        (f'{{"to":"{EMAIL_MARKER}"}}', "redacted by the log formatter: the code logged personal data"),
    ],
)
def test_the_scanner_finds_personal_data(line: str, kind: str):
    assert kind in {finding.kind for finding in find_personal_data(f"first line\n{line}\n")}


def test_the_scanner_allows_system_addresses_ids_and_timestamps():
    text = (
        '{"message":"notice sent","sender":"privacy@example.com","account_id":"acct-ana",'
        '"timestamp":"2026-11-28 18:01:34,789+0000"}\n'
        "SMTP inbound    127.0.0.1:2525\n"
    )
    assert find_personal_data(text) == []
