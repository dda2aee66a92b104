"""Notice fan-out: 10k recipients through the real delivery logic (change_notices/domain/notice_delivery.py and
kernel/token_bucket.py) with the shared token bucket, a simulated SES that
takes 40 ms a send, and 10% of SQS messages redelivered. Time is simulated, so the figures do not
depend on this machine: achieved rate / configured rate (goal >= 0.9) and duplicates (goal 0).

The ledger below keeps DynamoDB's conditional-put semantics (create fails if the key exists);
under moto the same flow is tested end to end with 500 accounts (tests/e2e/test_policy_notices_e2e.py).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import BenchResult, Figure
from privacydesk.change_notices.domain.model import DeliveryStatus, RecipientBatch
from privacydesk.change_notices.domain.notice_delivery import Recipient, SendingContext, deliver_batch
from privacydesk.kernel import token_bucket
from privacydesk.policy.domain.model import PolicyVersion

RECIPIENTS = int(os.environ.get("BENCH_FANOUT_RECIPIENTS", 10_000))
RATE = float(os.environ.get("BENCH_FANOUT_RATE", 14))  # the template's NOTICE_MAX_SEND_RATE
SES_LATENCY = 0.040
REDELIVERED = 0.10
PER_MESSAGE = 5
START = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class SimulatedClock:
    now: datetime = START

    def advance(self, seconds: float) -> None:
        # At least a microsecond: a real sleep always lets some time pass (timedelta rounds below 1 µs).
        self.now += max(timedelta(seconds=seconds), timedelta(microseconds=1))


@dataclass
class Ledger:
    entries: dict[tuple[str, str], str] = field(default_factory=dict)

    def handled(self, version: str, account_ids: list[str]) -> set[str]:
        return {a for a in account_ids if (version, a) in self.entries}

    def create(self, version: str, account_id: str, status: DeliveryStatus, now: datetime, detail: str = "") -> bool:
        if (version, account_id) in self.entries:  # attribute_not_exists, as the DynamoDB ledger does
            return False
        self.entries[(version, account_id)] = status.value
        return True

    def mark_sent(self, version: str, account_id: str, message_id: str, now: datetime) -> None:
        self.entries[(version, account_id)] = DeliveryStatus.SENT.value

    def release(self, version: str, account_id: str) -> None:
        self.entries.pop((version, account_id), None)

    def record_outcome(self, version: str, account_id: str, status: DeliveryStatus, at: datetime, **_: Any) -> bool:
        self.entries[(version, account_id)] = status.value
        return True


@dataclass
class SharedBucket:
    clock: SimulatedClock
    state: token_bucket.BucketState | None = None

    def take(self, wanted: int, now: datetime) -> token_bucket.Grant:
        grant = token_bucket.take(self.state, wanted, RATE, RATE, self.clock.now)
        self.state = grant.state
        return grant


@dataclass
class SimulatedSes:
    clock: SimulatedClock
    sent: Counter[str] = field(default_factory=Counter)
    times: list[datetime] = field(default_factory=list)

    def send(self, message: Any) -> str:
        self.clock.advance(SES_LATENCY)
        self.sent[message.to] += 1
        self.times.append(self.clock.now)
        return f"ses-{len(self.times)}"


def main() -> None:
    clock = SimulatedClock()
    version = PolicyVersion(
        version="2026-12-01",
        title="Privacy Policy",
        last_updated=START.date(),
        effective_at=START + timedelta(days=30),
        significant=True,
        summary="Bench",
        body_markdown="# Privacy Policy",
    )
    people = {
        f"acct-{i:05d}": Recipient(f"acct-{i:05d}", f"user{i:05d}@example.com", "active") for i in range(RECIPIENTS)
    }
    ledger, bucket, ses = Ledger(), SharedBucket(clock), SimulatedSes(clock)
    context = SendingContext(
        versions=type("V", (), {"get_version": staticmethod(lambda v: version)})(),
        recipients=type("R", (), {"recipients": staticmethod(lambda ids: {a: people[a] for a in ids})})(),
        suppressions=type("S", (), {"suppressed": staticmethod(lambda addresses: set())})(),
        ledger=ledger,
        limiter=bucket,
        mailer=ses,
        base_url="https://example.com",
        configuration_set=None,
        clock=lambda: clock.now,
        sleep=clock.advance,
        seconds_left=lambda: 900.0,
    )
    ids = sorted(people)
    messages = [
        RecipientBatch(version=version.version, account_ids=ids[i : i + PER_MESSAGE])
        for i in range(0, len(ids), PER_MESSAGE)
    ]
    rng = random.Random(20261201)
    redeliveries = [m for m in messages if rng.random() < REDELIVERED]
    queue = messages + redeliveries  # SQS at-least-once: 10% of messages arrive twice
    rng.shuffle(queue)
    # Batches in queue order; every send takes its token from the one shared bucket.
    for batch in queue:
        deliver_batch(batch, context)
    duplicates = sum(n - 1 for n in ses.sent.values() if n > 1)
    elapsed = (ses.times[-1] - START).total_seconds()
    achieved = len(ses.times) / elapsed
    result = BenchResult(
        "fan-out pacing (simulated time)",
        details={
            "recipients": RECIPIENTS,
            "messages": len(messages),
            "redelivered": len(redeliveries),
            "ses_latency_s": SES_LATENCY,
        },
    )
    result.figures.append(
        Figure("emails sent", len(ses.times), "emails", goal=f"= {RECIPIENTS}", ok=len(ses.times) == RECIPIENTS)
    )
    result.figures.append(
        Figure(
            "achieved send rate",
            achieved,
            "/s",
            baseline=RATE,
            baseline_label="configured rate",
            goal=">= 0.9x",
            ok=achieved / RATE >= 0.9,
        )
    )
    result.figures.append(Figure("duplicate emails", duplicates, "emails", goal="0", ok=duplicates == 0))
    result.emit()


if __name__ == "__main__":
    main()
