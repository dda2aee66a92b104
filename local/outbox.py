"""Every email and SMS the system sent, read back from the stand-in's SES and SNS (moto's backends),
each with its `channel` ("email" or "sms"), so a phone-only request can be finished on `make run`."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

from moto.ses.models import ses_backends
from moto.sns.models import sns_backends


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else content.decode("utf-8", errors="replace")


def read_outbox(account: str, region: str) -> list[dict[str, Any]]:
    """Read moto's SES backend in-process: the moto server of `make run` and the tests'
    `mock_aws` both live in this process. (moto's /moto-api/data.json fails on some backends.)"""
    sent_messages = list(ses_backends[account][region].sent_messages)
    sent: list[dict[str, Any]] = []
    for item in sent_messages:
        if hasattr(item, "raw_data"):
            sent.append(_parsed_raw_entry(item))
        else:
            sent.append(
                {
                    "id": item.id,
                    "to": item.destinations.get("ToAddresses", []),
                    "from": item.source,
                    "reply_to": "",
                    "subject": item.subject,
                    "text": item.body,
                    "time": None,
                    "headers": {},
                }
            )
    for entry in sent:
        entry["channel"] = "email"
    return sent + read_sms(account, region)


def read_sms(account: str, region: str) -> list[dict[str, Any]]:
    """Every SMS published through SNS (verification codes, notices), oldest first."""
    texts = list(sns_backends[account][region].sms_messages.items())
    return [
        {
            "id": message_id,
            "channel": "sms",
            "to": [phone],
            "from": "",
            "reply_to": "",
            "subject": "",
            "text": text,
            "time": None,
            "headers": {},
        }
        for message_id, (phone, text) in texts
    ]


# Parsed raw messages by SES message id. A sent message never changes, and parsing MIME costs about
# a millisecond: without this, each read would cost as much as everything sent so far.
_PARSED: dict[str, dict[str, Any]] = {}


def _parsed_raw_entry(raw: Any) -> dict[str, Any]:
    entry = _PARSED.get(raw.id)
    if entry is None:
        entry = _PARSED[raw.id] = _raw_entry(raw)
    return {**entry, "to": list(entry["to"]), "headers": dict(entry["headers"])}  # callers may change theirs


def _raw_entry(raw: Any) -> dict[str, Any]:
    message = email.message_from_string(raw.raw_data, policy=policy.default)
    # Type narrowing for mypy (policy.default always yields an EmailMessage), not a runtime check.
    assert isinstance(message, EmailMessage)  # nosec B101
    date = message.get("Date")
    return {
        "id": raw.id,
        "to": sorted(set(raw.destinations or [])) or [str(message.get("To", ""))],
        "from": str(message.get("From", raw.source)),
        "reply_to": str(message.get("Reply-To", "")),
        "subject": str(message.get("Subject", "")),
        "text": _text_of(message),
        "time": parsedate_to_datetime(str(date)).isoformat() if date else None,
        "headers": {k: str(v) for k, v in message.items() if k.lower().startswith(("x-privacydesk", "list-"))},
    }
