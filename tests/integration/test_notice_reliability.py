"""The notice path when things go wrong: a send rate that must hold across senders, a dispatcher
running out of time or failing mid-scan. (AWS faults, a sender crashing after SES took the mail
and SES throttling, are injected at the AWS boundary in tests/faults/.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from privacydesk.change_notices.domain.model import RecipientBatch
from tests.support.harness import Harness, event_file
from tests.support.notices import (
    add_account,
    batch_event,
    ledger_entry,
    open_account_ids,
    publish_version,
    take_queued,
    unique,
)

pytestmark = pytest.mark.integration


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept = 0.0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += timedelta(seconds=seconds)


def _sending_context(stack: Harness, *, mailer=None, limiter=None, clock=None, seconds_left=lambda: 100.0):
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
    from privacydesk.change_notices.adapters.notice_queue import NoticeMailer
    from privacydesk.change_notices.adapters.notice_recipients import NoticeRecipients
    from privacydesk.change_notices.adapters.suppression_list import SuppressionList
    from privacydesk.change_notices.domain.notice_delivery import SendingContext
    from privacydesk.kernel.rate_limits import DynamoTokenBucket
    from privacydesk.policy.adapters.policy_store import PolicyRepository

    stack.runner.activate("NoticeSenderFunction")
    clock = clock or FakeClock(datetime.now(UTC))
    return SendingContext(
        versions=PolicyRepository(),
        recipients=NoticeRecipients(),
        suppressions=SuppressionList(),
        ledger=DeliveryLedger(),
        limiter=limiter or DynamoTokenBucket(unique("bucket"), rate=1000),
        mailer=mailer or NoticeMailer(),
        base_url="http://127.0.0.1:3000",
        configuration_set="privacydesk-local-notices",
        clock=clock,
        sleep=clock.sleep,
        seconds_left=seconds_left,
    )


def test_token_bucket_shared_by_two_senders_refuses_beyond_capacity(stack: Harness):
    from privacydesk.kernel.rate_limits import DynamoTokenBucket

    stack.runner.activate("NoticeSenderFunction")
    bucket_id, now = unique("bucket"), datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    first, second = DynamoTokenBucket(bucket_id, rate=5), DynamoTokenBucket(bucket_id, rate=5)
    assert first.take(3, now).granted == 3
    assert second.take(3, now).granted == 2
    refused = first.take(1, now)
    assert refused.granted == 0
    assert refused.wait_seconds == pytest.approx(0.2)
    assert second.take(10, now + timedelta(seconds=0.4)).granted == 2
    assert first.take(10, now + timedelta(seconds=60)).granted == 5  # never more than one second's worth


def test_sender_waits_for_tokens_and_never_outruns_the_send_rate(stack: Harness):
    from privacydesk.change_notices.adapters.notice_queue import NoticeMailer
    from privacydesk.change_notices.domain.notice_delivery import deliver_batch
    from privacydesk.kernel.rate_limits import DynamoTokenBucket

    version = unique("2026-rate")
    accounts = [unique("acct-rate") for _ in range(5)]
    for account in accounts:
        add_account(stack, account, f"{account}@example.com")
    publish_version(stack, version, significant=True)
    clock = FakeClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    sent_at: list[datetime] = []

    class Recording:
        def send(self, message):
            sent_at.append(clock.now)
            return NoticeMailer().send(message)

    limiter = DynamoTokenBucket(unique("bucket"), rate=2)
    report = deliver_batch(
        RecipientBatch(version=version, account_ids=accounts),
        _sending_context(stack, mailer=Recording(), limiter=limiter, clock=clock),
    )
    assert report.outcomes["sent"] == 5
    # 2 tokens at once, then 2 a second: the n-th send (from 0) is never before (n - 1) / 2 seconds.
    for n, moment in enumerate(sent_at):
        assert (moment - sent_at[0]).total_seconds() >= (n + 1 - 2) / 2
    assert clock.slept > 0


def test_a_sender_out_of_time_leaves_the_rest_to_the_redelivery(stack: Harness):
    from privacydesk.change_notices.domain.notice_delivery import OutOfTime, deliver_batch
    from privacydesk.kernel.rate_limits import DynamoTokenBucket

    version = unique("2026-late")
    accounts = [unique("acct-late") for _ in range(3)]
    for account in accounts:
        add_account(stack, account, f"{account}@example.com")
    publish_version(stack, version, significant=True)
    clock = FakeClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    with pytest.raises(OutOfTime):
        deliver_batch(
            RecipientBatch(version=version, account_ids=accounts),
            _sending_context(
                stack, limiter=DynamoTokenBucket(unique("bucket"), rate=1), clock=clock, seconds_left=lambda: 5.5
            ),
        )
    assert [ledger_entry(stack, version, a) is not None for a in accounts] == [True, False, False]
    stack.invoke("NoticeSenderFunction", batch_event(version, accounts))
    assert all(len(stack.outbox(to=f"{a}@example.com")) == 1 for a in accounts)


class RecordingBus:
    def __init__(self) -> None:
        self.events: list = []

    def publish(self, *events) -> None:
        self.events.extend(events)


def _dispatch_with(stack: Harness, version: str, owner: str, seconds_left, bus, queue=None, page_size: int = 2):
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
    from privacydesk.change_notices.adapters.notice_queue import SqsRecipientQueue
    from privacydesk.change_notices.adapters.notice_recipients import NoticeRecipients
    from privacydesk.change_notices.domain.notice_dispatch import dispatch

    stack.runner.activate("NoticeDispatchFunction")
    return dispatch(
        version,
        True,
        datetime.now(UTC) + timedelta(days=30),
        owner=owner,
        now=datetime.now(UTC),
        seconds_left=seconds_left,
        accounts=NoticeRecipients(),
        queue=queue or SqsRecipientQueue(),
        runs=DeliveryLedger(),
        bus=bus,
        page_size=page_size,
    )


def test_dispatcher_near_its_timeout_hands_over_and_the_continuation_resumes(stack: Harness):
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
    from privacydesk.change_notices.domain.notice_dispatch import DispatchResult

    version = unique("2026-resume")
    expected = open_account_ids(stack)
    calls = iter([300.0, 300.0, 300.0, 10.0])  # lease, two pages, then "almost out of time"
    bus = RecordingBus()
    first = _dispatch_with(stack, version, "invocation-1", lambda: next(calls), bus)
    assert first.result == DispatchResult.CONTINUED
    assert first.scanned == 4
    (continuation,) = bus.events
    assert (continuation.detail_type, continuation.version) == ("Notice.DispatchContinued", version)

    second = _dispatch_with(stack, version, "invocation-2", lambda: 300.0, bus)
    assert second.result == DispatchResult.COMPLETED
    queued = [a for r in take_queued(stack, version) for a in json.loads(r["body"])["account_ids"]]
    assert sorted(queued) == sorted(expected)  # each open account exactly once
    stack.runner.activate("NoticeDispatchFunction")
    run = DeliveryLedger().get_run(version)
    assert (run.queued, run.continuations, run.state) == (len(expected), 1, "completed")


def test_a_dispatcher_that_fails_mid_scan_frees_the_run_for_its_retry(stack: Harness):
    from privacydesk.change_notices.adapters.notice_queue import SqsRecipientQueue
    from privacydesk.change_notices.domain.notice_dispatch import DispatchResult

    version = unique("2026-retry")
    expected = open_account_ids(stack)

    class FailsOnSecondPage(SqsRecipientQueue):
        pages = 0

        def enqueue(self, batches):
            self.pages += 1
            if self.pages == 2:
                raise ConnectionError("SQS endpoint unreachable")
            super().enqueue(batches)

    with pytest.raises(ConnectionError):
        _dispatch_with(stack, version, "invocation-1", lambda: 300.0, RecordingBus(), queue=FailsOnSecondPage())
    retry = _dispatch_with(stack, version, "invocation-1-retry", lambda: 300.0, RecordingBus())
    assert retry.result == DispatchResult.COMPLETED
    from privacydesk.datamap.adapters.reference_stores import AccountRecord

    every_account = sum(1 for _ in AccountRecord.scan())
    assert retry.scanned == every_account - 2  # resumed after the first (checkpointed) page
    queued = [a for r in take_queued(stack, version) for a in json.loads(r["body"])["account_ids"]]
    assert sorted(queued) == sorted(expected)


def test_ses_events_rule_takes_only_the_notice_configuration_set(stack: Harness):
    from moto.events.models import EventPattern

    events = boto3.client("events", region_name=stack.stack.region)
    rule = events.describe_rule(Name="local-SesFeedbackFunction-SesEvents", EventBusName="default")
    pattern = EventPattern.load(rule["EventPattern"])
    bounce = event_file("ses_feedback/bounce_permanent.json")
    assert pattern.matches_event(bounce)
    bounce["detail"]["mail"]["tags"]["ses:configuration-set"] = ["someone-elses-mail"]
    assert not pattern.matches_event(bounce)
