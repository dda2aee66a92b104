"""Sending one queued batch of notices: at most once per (version, account), within the send rate.

For each account, in order:
1. an entry already in the ledger means someone handled it: nothing more (SQS redelivery, a
   duplicate dispatch);
2. a closed account or one without an address is recorded "skipped"; a suppressed address
   "suppressed" (each a conditional put, so it is never sent later either);
3. a token from the shared bucket (waiting for one if need be, within the time left);
4. the claim: a conditional put of "claimed"; losing it means another sender has the account;
5. the send through SES, then "sent" with SES's message id.

A crash between 5 and its "sent" leaves "claimed": the notice may or may not have gone, and it
is NOT sent again automatically (a duplicate legal notice is worse than one reported as unknown;
progress shows it, and the DPO can resend by hand). When SES answers with an error it did not
take the message, so a throttled or paused send releases its claim and the batch is retried;
a message SES rejects for good is recorded "failed".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from privacydesk.change_notices.domain.model import DeliveryStatus, RecipientBatch
from privacydesk.change_notices.domain.notice_email import notice_email
from privacydesk.kernel.ports import Mailer
from privacydesk.kernel.token_bucket import Grant
from privacydesk.policy.domain.model import PolicyVersion

CLOSED = "closed"
MIN_SECONDS_TO_SEND = 5.0  # below this, stop and let SQS redeliver the rest


@dataclass(frozen=True)
class Recipient:
    account_id: str
    email: str | None
    status: str


class MailRefused(Exception):
    """SES answered with an error: it did not take the message. `permanent`: it never will."""

    def __init__(self, code: str, *, permanent: bool) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent


class OutOfTime(Exception):
    """The invocation is about to time out before a send token came: the rest is retried."""


class VersionNotFound(Exception):
    pass


class Versions(Protocol):
    def get_version(self, version: str) -> PolicyVersion | None: ...


class RecipientLookup(Protocol):
    def recipients(self, account_ids: list[str]) -> dict[str, Recipient]: ...


class Suppressions(Protocol):
    def suppressed(self, addresses: list[str]) -> set[str]: ...


class Ledger(Protocol):
    def handled(self, version: str, account_ids: list[str]) -> set[str]: ...
    def create(
        self, version: str, account_id: str, status: DeliveryStatus, now: datetime, detail: str = ""
    ) -> bool: ...
    def mark_sent(self, version: str, account_id: str, message_id: str, now: datetime) -> None: ...
    def release(self, version: str, account_id: str) -> None: ...
    def record_outcome(
        self,
        version: str,
        account_id: str,
        status: DeliveryStatus,
        at: datetime,
        *,
        message_id: str | None = None,
        detail: str | None = None,
    ) -> bool: ...


class RateLimiter(Protocol):
    def take(self, wanted: int, now: datetime) -> Grant: ...


@dataclass
class SendingContext:
    """Everything a sender needs besides the batch; time is passed in (clock, sleep, time left)."""

    versions: Versions
    recipients: RecipientLookup
    suppressions: Suppressions
    ledger: Ledger
    limiter: RateLimiter
    mailer: Mailer
    base_url: str
    configuration_set: str | None
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    seconds_left: Callable[[], float]
    _versions: dict[str, PolicyVersion] = field(default_factory=dict)

    def version(self, version_id: str) -> PolicyVersion:
        if version_id not in self._versions:
            found = self.versions.get_version(version_id)
            if found is None:
                raise VersionNotFound(version_id)
            self._versions[version_id] = found
        return self._versions[version_id]


@dataclass
class BatchReport:
    version: str
    outcomes: Counter[str] = field(default_factory=Counter)


def _take_tokens(ctx: SendingContext, wanted: int) -> int:
    while True:
        grant = ctx.limiter.take(wanted, ctx.clock())
        if grant.granted:
            return grant.granted
        if ctx.seconds_left() - grant.wait_seconds < MIN_SECONDS_TO_SEND:
            raise OutOfTime
        ctx.sleep(grant.wait_seconds)


def deliver_batch(batch: RecipientBatch, ctx: SendingContext) -> BatchReport:
    version = ctx.version(batch.version)
    report = BatchReport(batch.version)
    if not version.significant:
        report.outcomes["minor_change"] += len(batch.account_ids)
        return report  # a minor change is never mailed, whatever put it on the queue
    handled = ctx.ledger.handled(batch.version, batch.account_ids)
    pending = [a for a in dict.fromkeys(batch.account_ids) if a not in handled]
    report.outcomes["already_handled"] += len(batch.account_ids) - len(pending)
    if not pending:
        return report
    people = ctx.recipients.recipients(pending)
    addresses = [p.email for p in people.values() if p.email and p.status != CLOSED]
    blocked = ctx.suppressions.suppressed(addresses) if addresses else set()
    tokens = 0
    for position, account_id in enumerate(pending):
        person = people.get(account_id)
        if person is None or person.status == CLOSED or not person.email:
            reason = "unknown_account" if person is None else ("closed" if person.status == CLOSED else "no_address")
            ctx.ledger.create(batch.version, account_id, DeliveryStatus.SKIPPED, ctx.clock(), reason)
            report.outcomes[DeliveryStatus.SKIPPED] += 1
            continue
        if person.email in blocked:
            ctx.ledger.create(batch.version, account_id, DeliveryStatus.SUPPRESSED, ctx.clock(), "suppression_list")
            report.outcomes[DeliveryStatus.SUPPRESSED] += 1
            continue
        if tokens == 0:
            tokens = _take_tokens(ctx, len(pending) - position)
        tokens -= 1
        if not ctx.ledger.create(batch.version, account_id, DeliveryStatus.CLAIMED, ctx.clock()):
            report.outcomes["already_handled"] += 1
            continue
        message = notice_email(version, account_id, person.email, ctx.base_url, ctx.configuration_set)
        try:
            message_id = ctx.mailer.send(message)
        except MailRefused as refused:
            if refused.permanent:
                ctx.ledger.record_outcome(
                    batch.version, account_id, DeliveryStatus.FAILED, ctx.clock(), detail=refused.code
                )
                report.outcomes[DeliveryStatus.FAILED] += 1
                continue
            ctx.ledger.release(batch.version, account_id)
            raise
        ctx.ledger.mark_sent(batch.version, account_id, message_id, ctx.clock())
        report.outcomes[DeliveryStatus.SENT] += 1
    return report
