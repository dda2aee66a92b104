"""Demo data for the stand-in: the seed policy as version 2025-11-30, and demo accounts
with message logs, API usage and technical events. Deterministic, so tests can rely on it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from privacydesk.dal.policy_store import PolicyRepository
from privacydesk.dal.reference_stores import (
    AccountRecord,
    ApiUsageRecord,
    MessageLogRecord,
    TechnicalEventRecord,
    expiry_bucket,
)
from privacydesk.integrations.object_store import S3ObjectStore
from privacydesk.logic.policy import initial_policy
from privacydesk.settings import get_settings

# The demo people. Tests look for these values in logs to prove no PII is written there.
DEMO_ACCOUNTS: list[dict[str, Any]] = [
    {
        "account_id": "acct-ana",
        "name": "Ana Santos",
        "email": "ana.santos@example.com",
        "phone": "+639171234567",
        "company": "Santos Bakery",
    },
    {
        "account_id": "acct-ben",
        "name": "Ben Cruz",
        "email": "ben.cruz@example.com",
        "phone": "+639181112233",
        "company": "Cruz Logistics",
    },
    {
        "account_id": "acct-carla",
        "name": "Carla Reyes",
        "email": "carla.reyes@example.com",
        "phone": "+639190004455",
        "company": "Reyes Clinic",
    },
]
# Someone who never signed up but received SMS from an account: a subject known only by phone.
DEMO_SMS_RECIPIENTS = ["+639175550101", "+639175550102"]

# Raw inbound mail as SES's S3 action stores it, named by the events in events/email_intake/
# (so `make invoke FN=EmailIntakeFunction EVENT=events/email_intake/deletion_request.json` has a message to read).
DEMO_INBOUND_MAIL: dict[str, bytes] = {
    "demo-ana-deletion-0001": (
        b"Authentication-Results: inbound-smtp.example; spf=pass; dkim=pass; dmarc=pass\r\n"
        b"From: Ana Santos <ana.santos@example.com>\r\nTo: privacy@example.com\r\n"
        b"Subject: Please delete my data\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
        b"Hello, please delete all my personal data. I no longer use Santos Bakery's SMS account.\r\n"
    ),
    "demo-ana-spoofed-0001": (
        b"Authentication-Results: inbound-smtp.example; spf=fail; dkim=fail; dmarc=fail\r\n"
        b"From: Ana Santos <ana.santos@example.com>\r\nReply-To: helper@attacker.example\r\n"
        b"To: privacy@example.com\r\nSubject: Delete my data\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=UTF-8\r\n\r\nDelete my account and all my data today.\r\n"
    ),
    "demo-virus-0001": (
        b"From: Ben Cruz <ben.cruz@example.com>\r\nTo: privacy@example.com\r\nSubject: Invoice\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nSee the attached invoice.\r\n"
    ),
}

RETENTION_DAYS = {"message_logs": 180, "api_usage": 395, "technical_events": 90}


def _expiry(at: datetime, days: int, key: str) -> dict[str, Any]:
    expires = at + timedelta(days=days)
    return {"expires_at": int(expires.timestamp()), "expiry_bucket": expiry_bucket(expires, key)}


def seed_policy(now: datetime) -> None:
    repo = PolicyRepository()
    version, notices = initial_policy()
    if repo.get_version(version.version) is None:
        repo.publish(version, now)
    for notice in notices:
        repo.put_notice(notice)


def synthetic_accounts(count: int) -> list[dict[str, Any]]:
    return [
        {
            "account_id": f"acct-demo-{i:05d}",
            "name": f"Demo User {i:05d}",
            "email": f"demo{i:05d}@example.com",
            "phone": f"+63917{i:07d}",
            "company": f"Demo Company {i % 50}",
        }
        for i in range(count)
    ]


def seed_accounts(now: datetime, extra_accounts: int = 0) -> None:
    rng = random.Random(20251130)
    people = DEMO_ACCOUNTS + synthetic_accounts(extra_accounts)
    with AccountRecord.batch_write() as accounts:
        for person in people:
            accounts.save(
                AccountRecord(
                    **person,
                    status="active",
                    created_at=now - timedelta(days=400),
                    last_activity_at=now - timedelta(days=1),
                    billing_plan="pay-as-you-go",
                    preferences={"marketing_email": True, "language": "en"},
                )
            )
    with MessageLogRecord.batch_write() as logs:
        for person in DEMO_ACCOUNTS:
            for n in range(12):
                sent = now - timedelta(days=n * 7 + 1, minutes=rng.randint(0, 600))
                recipient = DEMO_SMS_RECIPIENTS[n % 2] if n % 3 == 0 else f"+6391755{rng.randint(10000, 99999)}"
                key = f"{person['account_id']}#{n}"
                logs.save(
                    MessageLogRecord(
                        account_id=person["account_id"],
                        message_id=f"{sent.isoformat()}#{n:04d}",
                        recipient=recipient,
                        sender_id=person["company"].split()[0].upper()[:11],
                        body=f"Your order #{1000 + n} is ready for pickup.",
                        status="delivered",
                        sent_at=sent.isoformat(),
                        route="primary" if n % 4 else "fallback",
                        **_expiry(sent, RETENTION_DAYS["message_logs"], key),
                    )
                )
    with ApiUsageRecord.batch_write() as usage, TechnicalEventRecord.batch_write() as technical:
        for person in DEMO_ACCOUNTS:
            for n in range(10):
                at = now - timedelta(days=n * 3 + 1)
                key = f"{person['account_id']}#{n}"
                usage.save(
                    ApiUsageRecord(
                        account_id=person["account_id"],
                        usage_id=f"{at.isoformat()}#{n:04d}",
                        endpoint="/api/v1/sms",
                        method="POST",
                        status_code=200,
                        at=at.isoformat(),
                        **_expiry(at, RETENTION_DAYS["api_usage"], key),
                    )
                )
                technical.save(
                    TechnicalEventRecord(
                        account_id=person["account_id"],
                        event_id=f"{at.isoformat()}#{n:04d}",
                        ip_address=f"203.0.113.{10 + n}",
                        user_agent="Mozilla/5.0 (X11; Linux x86_64)",
                        device="desktop",
                        kind="login",
                        at=at.isoformat(),
                        **_expiry(at, RETENTION_DAYS["technical_events"], key),
                    )
                )


def seed_inbound_mail() -> None:
    store, bucket = S3ObjectStore(), get_settings().inbound_bucket
    for message_id, raw in DEMO_INBOUND_MAIL.items():
        store.put(bucket, f"inbound/{message_id}", raw, content_type="message/rfc822")


def seed_all(now: datetime | None = None, extra_accounts: int = 0) -> None:
    moment = now or datetime.now(UTC)
    seed_policy(moment)
    seed_accounts(moment, extra_accounts)
    seed_inbound_mail()
