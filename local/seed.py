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
from privacydesk.logic.policy import initial_policy

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


def seed_documents() -> None:
    """Each demo account's sender-ID registration papers, in the account documents bucket."""
    from privacydesk.integrations.aws import client
    from privacydesk.settings import get_settings

    bucket = get_settings().account_documents_bucket
    for person in DEMO_ACCOUNTS:
        for name, text in (
            ("business-permit.txt", f"Business permit of {person['company']}, signed by {person['name']}."),
            ("signatory-id.txt", f"Government ID of {person['name']}."),
        ):
            client("s3").put_object(
                Bucket=bucket,
                Key=f"sender-id/{person['account_id']}/{name}",
                Body=text.encode(),
                ContentType="text/plain",
            )


def seed_all(now: datetime | None = None, extra_accounts: int = 0) -> None:
    moment = now or datetime.now(UTC)
    seed_policy(moment)
    seed_accounts(moment, extra_accounts)
    seed_documents()
