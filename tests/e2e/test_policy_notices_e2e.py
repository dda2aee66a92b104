"""A significant policy change on the running stand-in with 500 accounts: every account gets exactly
one email, a forced redelivery adds none, and a minor change sends nothing. The event flows as on
AWS: Policy.Published on the bus -> rule -> notice_dispatch -> SQS -> notice_sender -> SES."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e
VERSION_HEADER = "X-PrivacyDesk-Notice-Version"


@contextmanager
def pointed_at(running: RunningStack) -> Iterator[None]:
    """Point this process's privacydesk package at the stand-in, then back (other tests use mock_aws)."""
    from privacydesk.kernel.aws import reset_clients
    from privacydesk.kernel.dynamo import bind_tables
    from privacydesk.kernel.settings import reload_settings

    info = running.info
    env = {
        "AWS_ENDPOINT_URL": info["endpoint_url"],
        "AWS_REGION": info["region"],
        "AWS_DEFAULT_REGION": info["region"],
        "AWS_ACCESS_KEY_ID": info["credentials"]["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": info["credentials"]["aws_secret_access_key"],
        "POLICY_TABLE": info["physical"]["PolicyTable"],
        "EVENT_BUS_NAME": info["physical"]["EventBus"],
    }
    try:
        with mock.patch.dict(os.environ, env):
            bind_tables(reload_settings())
            reset_clients()
            yield
    finally:
        bind_tables(reload_settings())
        reset_clients()


def publish(running: RunningStack, version: str, significant: bool) -> None:
    """What the admin's publish does: store the version, then put Policy.Published on the bus."""
    from privacydesk.kernel.event_bus import EventBridgePublisher
    from privacydesk.kernel.events import PolicyPublished
    from privacydesk.policy.adapters.policy_store import PolicyRepository
    from privacydesk.policy.domain.model import PolicyVersion

    now = datetime.now(UTC)
    policy = PolicyVersion(
        version=version,
        title="Privacy Policy",
        last_updated=now.date(),
        effective_at=now + timedelta(days=30),
        significant=significant,
        summary="SMS delivery reports are now kept for 180 days.",
        body_markdown="# Privacy Policy\n\nUpdated.",
    )
    with pointed_at(running):
        PolicyRepository().publish(policy, now)
        EventBridgePublisher().publish(
            PolicyPublished(version=version, significant=significant, effective_at=policy.effective_at, occurred_at=now)
        )


def notices(running: RunningStack, version: str) -> list[dict[str, Any]]:
    return [m for m in running.outbox() if m["headers"].get(VERSION_HEADER) == version]


def settle(running: RunningStack, version: str, expected: int, limit_seconds: float = 300) -> list[dict[str, Any]]:
    """Drain the stand-in's queues until `expected` notices are out (or the limit passes)."""
    deadline = time.monotonic() + limit_seconds
    while True:
        running.drain()
        found = notices(running, version)
        if len(found) >= expected or time.monotonic() > deadline:
            return found


def admin_get(running: RunningStack, path: str) -> requests.Response:
    url = f"{running.api}{path}"
    request = AWSRequest(method="GET", url=url, headers={"host": urlsplit(url).netloc})
    credentials = running.info["credentials"]
    SigV4Auth(
        Credentials(credentials["aws_access_key_id"], credentials["aws_secret_access_key"]),
        "execute-api",
        running.info["region"],
    ).add_auth(request)
    return requests.get(url, headers=dict(request.headers), timeout=30)


def every_account_id(running: RunningStack) -> list[str]:
    dynamodb = boto3.client("dynamodb", region_name=running.info["region"], endpoint_url=running.info["endpoint_url"])
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=running.info["physical"]["AccountsTable"], ProjectionExpression="account_id"
    )
    return [item["account_id"]["S"] for page in pages for item in page["Items"]]


def test_significant_change_reaches_500_accounts_once_even_after_a_forced_redelivery(running_500_accounts):
    running = running_500_accounts
    version = "2026-02-01-e2e"
    publish(running, version, significant=True)

    sent = settle(running, version, expected=500)
    recipients = Counter(address for mail in sent for address in mail["to"])
    assert len(sent) == 500
    assert len(recipients) == 500
    assert max(recipients.values()) == 1

    # Forced redelivery: every recipient batch goes on the queue again, and the event is repeated.
    sqs = boto3.client("sqs", region_name=running.info["region"], endpoint_url=running.info["endpoint_url"])
    accounts = every_account_id(running)
    bodies = [json.dumps({"version": version, "account_ids": accounts[i : i + 5]}) for i in range(0, len(accounts), 5)]
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=running.info["physical"]["NoticeSendQueue"],
            Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])],
        )
    with pointed_at(running):
        from privacydesk.kernel.event_bus import EventBridgePublisher
        from privacydesk.kernel.events import PolicyPublished

        EventBridgePublisher().publish(
            PolicyPublished(
                version=version,
                significant=True,
                effective_at=datetime.now(UTC) + timedelta(days=30),
                occurred_at=datetime.now(UTC),
            )
        )
    running.drain()
    again = notices(running, version)
    assert len(again) == 500
    assert max(Counter(address for mail in again for address in mail["to"]).values()) == 1

    progress = admin_get(running, f"/v1/admin/policy/versions/{version}/deliveries")
    assert progress.status_code == 200, progress.text
    counts = progress.json()["counts"]
    assert (counts["queued"], counts["sent"], counts["awaiting"], counts["failed"]) == (500, 500, 0, 0)


def test_minor_change_sends_no_email_on_the_stand_in(running_500_accounts):
    running = running_500_accounts
    version = "2026-02-02-e2e-minor"
    publish(running, version, significant=False)
    running.drain()
    assert notices(running, version) == []
    progress = admin_get(running, f"/v1/admin/policy/versions/{version}/deliveries")
    assert progress.json()["counts"]["queued"] == 0
