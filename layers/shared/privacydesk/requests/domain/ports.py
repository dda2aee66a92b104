"""The ports request logic depends on. The adapters implement them; tests may fake them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from privacydesk.kernel.ports import EventPublisher, Mailer, SmsSender
from privacydesk.requests.domain.audit_trail import AuditEvent
from privacydesk.requests.domain.deadlines import ClockPolicy
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus, RequestType
from privacydesk.requests.domain.tokens import VerificationChallenge

if TYPE_CHECKING:
    from privacydesk.requests.domain.outbox import Consequences, OutboxItem


class RequestStore(Protocol):
    def create(
        self,
        request: PrivacyRequest,
        *,
        actor: str,
        details: dict[str, Any],
        challenge: VerificationChallenge | None,
        outbox: list[OutboxItem] | None = None,
    ) -> PrivacyRequest: ...
    def get(self, request_id: str) -> PrivacyRequest | None: ...
    def require(self, request_id: str) -> PrivacyRequest: ...
    def change(
        self,
        request_id: str,
        mutate: Callable[[PrivacyRequest], PrivacyRequest],
        *,
        action: str,
        actor: str,
        at: datetime,
        details: dict[str, Any] | None = None,
        use_challenge: bool = False,
        outbox: Consequences | None = None,
        challenge: VerificationChallenge | None = None,
    ) -> PrivacyRequest: ...
    def by_subject(self, subject_key: str, limit: int = 25) -> list[PrivacyRequest]: ...
    def page(
        self, *, status: RequestStatus, due_before: datetime | None, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[PrivacyRequest], dict[str, Any] | None]: ...
    def audit_trail(self, request_id: str) -> list[AuditEvent]: ...
    def challenge(self, request_id: str) -> VerificationChallenge | None: ...
    def replace_challenge(self, challenge: VerificationChallenge, outbox: list[OutboxItem] | None = None) -> None: ...
    def count_failed_attempt(self, request_id: str) -> None: ...


@dataclass(frozen=True)
class Allowance:
    """A cap per window, and optionally a cooldown between two counted hits."""

    cap: int
    window: timedelta = timedelta(days=1)
    cooldown: timedelta | None = None


class AbuseLimits(Protocol):
    """Counters against farming, shared by concurrent invocations (requests.adapters.abuse_limits)."""

    def spend(self, kind: str, key: str, allowance: Allowance, now: datetime) -> bool: ...
    def used(self, kind: str, key: str, allowance: Allowance, now: datetime) -> int: ...
    def count(self, kind: str, key: str, allowance: Allowance, now: datetime) -> None: ...


@dataclass(frozen=True)
class BucketRule:
    """A token bucket per caller: `capacity` tokens saved up at most, refilled at `per_hour`."""

    capacity: int
    per_hour: float

    @property
    def rate(self) -> float:
        return self.per_hour / 3600


class SourceThrottle(Protocol):
    """Token buckets per client source (requests.adapters.source_throttle), shared by concurrent
    invocations: what one client address may spend, whoever it names."""

    def take(self, kind: str, source: str, rule: BucketRule, now: datetime) -> float:
        """Spend one token: 0.0 if granted, else the seconds until one is there (nothing spent)."""
        ...

    def give_back(self, kind: str, source: str, rule: BucketRule, now: datetime) -> None: ...


class ReceiptStore(Protocol):
    """Fresh receipts shown for duplicates (requests.domain.intake.caller_receipt), so that following one
    answers as following a new, never-confirmed request does (requests.adapters.receipts)."""

    def save(self, receipt: PrivacyRequest, valid_until: datetime) -> None: ...
    def get(self, receipt_id: str) -> tuple[PrivacyRequest, datetime] | None: ...


class NoLimits:
    """For callers that never send (and unit tests): everything is allowed, nothing counted."""

    def spend(self, kind: str, key: str, allowance: Allowance, now: datetime) -> bool:
        return True

    def used(self, kind: str, key: str, allowance: Allowance, now: datetime) -> int:
        return 0

    def count(self, kind: str, key: str, allowance: Allowance, now: datetime) -> None:
        return None


class NoThrottle:
    """For callers with no client source (email intake, schedules) and unit tests: never throttles."""

    def take(self, kind: str, source: str, rule: BucketRule, now: datetime) -> float:
        return 0.0

    def give_back(self, kind: str, source: str, rule: BucketRule, now: datetime) -> None:
        return None


@dataclass(frozen=True)
class RequestConfig:
    public_base_url: str
    policy_version: Callable[[], str]
    datamap_version: str
    clock_policy: ClockPolicy = field(default_factory=ClockPolicy)
    approval_required_for: frozenset[RequestType] = field(default_factory=lambda: frozenset({RequestType.UPDATE}))
    max_requests_per_subject_per_day: int = 5
    # Update: the fields the data map lets a subject correct, checked at submit so a bad correction
    # is a 400 then, not a denial later (None: checked at fulfilment only).
    correctable_fields: frozenset[str] | None = None
    max_extension_days: int = 60
    # Sends per person and per destination (SMS costs money and is the pumping target: stricter).
    # No cooldown for mail: a person who asks for a copy and then for deletion gets both links at once.
    email_sends: Allowance = field(default_factory=lambda: Allowance(cap=5))
    sms_sends: Allowance = field(default_factory=lambda: Allowance(cap=3, cooldown=timedelta(minutes=1)))
    # Wrong verification secrets per person across all their requests (each request also locks at 5).
    subject_failed_attempts: Allowance = field(default_factory=lambda: Allowance(cap=10))
    # Per client source (API Gateway's sourceIp; an IPv6 /64), checked before the per-person caps so
    # that one stranger cannot use up a person's day (SECURITY.md 4b). Each source may spend at most
    # 2 of a person's sends; a source that has sent the person nothing today may still use the
    # reserve once the shared cap is gone, so the owner asking from their own address gets a link
    # unless many sources hammered (the reserve also bounds mail: 5 + 3 emails, 3 + 2 SMS a day).
    source_email_sends: Allowance = field(default_factory=lambda: Allowance(cap=2))
    source_sms_sends: Allowance = field(default_factory=lambda: Allowance(cap=2))
    email_reserve: Allowance = field(default_factory=lambda: Allowance(cap=3))
    sms_reserve: Allowance = field(default_factory=lambda: Allowance(cap=2, cooldown=timedelta(minutes=1)))
    # Submissions naming one person from one source a day (duplicates included): bounds a
    # create-and-cancel loop; past it that source gets 429 source_rate_limited until the day turns.
    source_submissions_per_person: Allowance = field(default_factory=lambda: Allowance(cap=10))
    # Verification guesses per source, across every request: a wrong secret spends a token, the
    # right one is free (its token is given back), an empty bucket refuses every verify from there.
    source_verify_guesses: BucketRule = field(default_factory=lambda: BucketRule(capacity=20, per_hour=20))
    # Submissions per source, whoever they name: without it one address could have verification
    # mail sent to address after address (2 each a day); with it, at most 30 an hour from one place.
    source_submissions: Allowance = field(default_factory=lambda: Allowance(cap=30, window=timedelta(hours=1)))


@dataclass
class RequestServices:
    requests: RequestStore
    mailer: Mailer
    sms: SmsSender
    events: EventPublisher
    config: RequestConfig
    sent: list[str] = field(default_factory=list)  # kinds of notices sent in this call (for the reply/tests)
    limits: AbuseLimits = field(default_factory=NoLimits)
    receipts: ReceiptStore | None = None  # None: duplicates' receipts are not kept (unit tests)
