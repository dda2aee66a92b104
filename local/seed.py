"""Demo data for the stand-in: the seed policy as version 2025-11-30, and demo accounts
with message logs, API usage and technical events. Deterministic, so tests can rely on it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from privacydesk.datamap.adapters.api_usage import record_api_call
from privacydesk.datamap.adapters.reference_stores import (
    AccountRecord,
    BillingRecord,
    MessageLogRecord,
    TechnicalEventRecord,
)
from privacydesk.datamap.adapters.retention_fields import stamp
from privacydesk.kernel.object_store import S3ObjectStore
from privacydesk.kernel.settings import get_settings
from privacydesk.policy.adapters.policy_store import PolicyRepository
from privacydesk.policy.domain.policy import initial_policy

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

# A customer who closed their account 13 months ago: past the one-year dispute window, so the
# retention sweep (`make tick`) deletes the account and its old data, and anonymizes its messages.
DEMO_CLOSED_ACCOUNT: dict[str, Any] = {
    "account_id": "acct-dante",
    "name": "Dante Lim",
    "email": "dante.lim@example.com",
    "phone": "+639201230000",
    "company": "Lim Hardware",
}


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
    # Seeded on purpose, so the demo data is deterministic; nothing secret comes from it.
    rng = random.Random(20251130)  # nosec B311
    people = DEMO_ACCOUNTS + synthetic_accounts(extra_accounts)
    # Every write goes through stamp(): TTL and expiry bucket come from the retention schedule.
    with AccountRecord.batch_write() as accounts:
        for person in people:
            accounts.save(
                stamp(
                    AccountRecord(
                        **person,
                        status="active",
                        created_at=now - timedelta(days=400),
                        last_activity_at=now - timedelta(days=1),
                        billing_plan="pay-as-you-go",
                        preferences={"marketing_email": True, "language": "en"},
                    ),
                    now=now,
                    held=False,
                )
            )
    with MessageLogRecord.batch_write() as logs:
        for person in DEMO_ACCOUNTS:
            for n in range(12):
                sent = now - timedelta(days=n * 7 + 1, minutes=rng.randint(0, 600))
                recipient = DEMO_SMS_RECIPIENTS[n % 2] if n % 3 == 0 else f"+6391755{rng.randint(10000, 99999)}"
                logs.save(
                    stamp(
                        MessageLogRecord(
                            account_id=person["account_id"],
                            message_id=f"{sent.isoformat()}#{n:04d}",
                            recipient=recipient,
                            sender_id=person["company"].split()[0].upper()[:11],
                            body=f"Your order #{1000 + n} is ready for pickup.",
                            status="delivered",
                            sent_at=sent.isoformat(),
                            route="primary" if n % 4 else "fallback",
                        ),
                        now=now,
                        held=False,
                    )
                )
    for person in DEMO_ACCOUNTS:
        for n in range(10):
            at = now - timedelta(days=n * 3 + 1)
            record_api_call(
                account_id=person["account_id"],
                usage_id=f"{at.isoformat()}#{n:04d}",
                endpoint="/api/v1/sms",
                method="POST",
                status_code=200,
                at=at,
                now=now,
            )
    with TechnicalEventRecord.batch_write() as technical:
        for person in DEMO_ACCOUNTS:
            for n in range(10):
                at = now - timedelta(days=n * 3 + 1)
                technical.save(
                    stamp(
                        TechnicalEventRecord(
                            account_id=person["account_id"],
                            event_id=f"{at.isoformat()}#{n:04d}",
                            ip_address=f"203.0.113.{10 + n}",
                            user_agent="Mozilla/5.0 (X11; Linux x86_64)",
                            device="desktop",
                            kind="login",
                            at=at.isoformat(),
                        ),
                        now=now,
                        held=False,
                    )
                )
    seed_billing(now)
    seed_closed_account(now)


def seed_billing(now: datetime) -> None:
    """A year of monthly invoices per demo account (kept 10 years: the tax code's period)."""
    with BillingRecord.batch_write() as invoices:
        for number, person in enumerate(DEMO_ACCOUNTS):
            for month in range(12):
                issued = (now - timedelta(days=30 * month + 2)).replace(hour=0, minute=0, second=0, microsecond=0)
                invoices.save(
                    stamp(
                        BillingRecord(
                            account_id=person["account_id"],
                            invoice_id=f"{issued.date().isoformat()}#INV-{number:02d}{month:03d}",
                            issued_at=issued.isoformat(),
                            period=(issued - timedelta(days=3)).strftime("%Y-%m"),
                            amount=150_000 + 2_500 * month,
                            currency="PHP",
                            status="paid",
                            billing_name=person["name"],
                            billing_address=f"{person['company']}, Makati City, Metro Manila",
                            tax_id=f"{100 + number:03d}-456-789-000",
                        ),
                        now=now,
                        held=False,
                    )
                )


def seed_closed_account(now: datetime) -> None:
    """acct-dante closed 13 months ago: everything past retention, for `make tick` to sweep."""
    person = DEMO_CLOSED_ACCOUNT
    closed = now - timedelta(days=395)
    stamp(
        AccountRecord(
            **person,
            status="closed",
            created_at=now - timedelta(days=900),
            last_activity_at=closed,
            closed_at=closed,
            billing_plan="pay-as-you-go",
        ),
        now=now,
        held=False,
    ).save()
    for n in range(3):
        sent = closed - timedelta(days=n + 1)
        stamp(
            MessageLogRecord(
                account_id=person["account_id"],
                message_id=f"{sent.isoformat()}#{n:04d}",
                recipient=f"+63917555{n:04d}",
                sender_id="LIMHARDWARE",
                body=f"Your delivery #{500 + n} is on its way.",
                sent_at=sent.isoformat(),
                route="primary",
            ),
            now=now,
            held=False,
        ).save()
        stamp(
            TechnicalEventRecord(
                account_id=person["account_id"],
                event_id=f"{sent.isoformat()}#{n:04d}",
                ip_address=f"198.51.100.{20 + n}",
                user_agent="Mozilla/5.0 (Android 14)",
                device="mobile",
                at=sent.isoformat(),
            ),
            now=now,
            held=False,
        ).save()


def seed_inbound_mail() -> None:
    store, bucket = S3ObjectStore(), get_settings().inbound_bucket
    for message_id, raw in DEMO_INBOUND_MAIL.items():
        store.put(bucket, f"inbound/{message_id}", raw, content_type="message/rfc822")


def seed_documents() -> None:
    """Each demo account's sender-ID registration papers, in the account documents bucket."""
    from privacydesk.datamap.adapters.locations import physical_name
    from privacydesk.datamap.domain.model import load_datamap
    from privacydesk.kernel.aws import client

    bucket = physical_name(load_datamap().store("account_documents"))
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
    from local.existing_stores import create_existing_stores

    moment = now or datetime.now(UTC)
    create_existing_stores()  # the company's own stores, outside the template (the data map names them)
    seed_policy(moment)
    seed_accounts(moment, extra_accounts)
    seed_inbound_mail()
    seed_documents()
