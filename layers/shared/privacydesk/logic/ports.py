"""The ports request logic depends on. dal/ and integrations/ implement them; tests may fake them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from privacydesk.integrations.event_bus import EventPublisher
from privacydesk.integrations.mailer import Mailer
from privacydesk.integrations.sms import SmsSender
from privacydesk.logic.deadlines import ClockPolicy
from privacydesk.logic.lifecycle import AuditEvent
from privacydesk.logic.tokens import VerificationChallenge
from privacydesk.models.requests import PrivacyRequest, RequestStatus, RequestType

if TYPE_CHECKING:
    from privacydesk.requests.outbox import Consequences, OutboxItem


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
    ) -> PrivacyRequest: ...
    def by_subject(self, subject_key: str, limit: int = 25) -> list[PrivacyRequest]: ...
    def page(
        self, *, status: RequestStatus, due_before: datetime | None, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[PrivacyRequest], dict[str, Any] | None]: ...
    def audit_trail(self, request_id: str) -> list[AuditEvent]: ...
    def challenge(self, request_id: str) -> VerificationChallenge | None: ...
    def replace_challenge(self, challenge: VerificationChallenge) -> None: ...
    def count_failed_attempt(self, request_id: str) -> None: ...


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


@dataclass
class RequestServices:
    requests: RequestStore
    mailer: Mailer
    sms: SmsSender
    events: EventPublisher
    config: RequestConfig
    sent: list[str] = field(default_factory=list)  # kinds of notices sent in this call (for the reply/tests)
