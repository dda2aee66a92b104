"""The ports every capability shares: email, SMS, domain events and objects. Domain code depends on
these; the AWS implementations (mailer, sms, event_bus, object_store) live beside them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Protocol

from privacydesk.kernel.events import DomainEvent


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    configuration_set: str | None = None


class Mailer(Protocol):
    def send(self, message: OutgoingEmail) -> str: ...


class SmsSender(Protocol):
    def send(self, phone_e164: str, text: str) -> str: ...


class EventPublisher(Protocol):
    def publish(self, *events: DomainEvent) -> None: ...


class ObjectStore(Protocol):
    def put(self, bucket: str, key: str, body: bytes | IO[bytes], content_type: str = ...) -> None: ...
    def open(self, bucket: str, key: str) -> IO[bytes]: ...
    def presigned_get(self, bucket: str, key: str, expires_in_seconds: int) -> str: ...
    def delete_all_versions(self, bucket: str, prefix: str) -> int: ...
    def move(self, bucket: str, source_key: str, target_key: str) -> None: ...
    def delete_object(self, bucket: str, key: str) -> int: ...
