"""In-memory fakes of the ports, faithful enough that the core flows run without moto.

Each fake keeps the promise its DynamoDB/S3/SES adapter keeps, in memory:
- a request change is one unit (request, next audit event of the hash chain, challenge marked used,
  outbox items named after that audit event) or nothing (Conflict, as a failed condition);
- outbox items stay in the fake store until `FakeDesk.deliver_outbox` delivers them through the
  real `requests.outbox.deliver`, as the stream consumer does after the commit;
- abuse counters count per kind, key and window, with the cap and cooldown the adapter checks;
- store connectors find a subject's items by the data map's lookups, skip expired items unless asked,
  and anonymize with the rule the DynamoDB adapter applies (datamap.domain.anonymization).

`FakeDesk` wires them into RequestServices / FulfilmentServices / the sweep's Ports with a clock
the test moves. No boto3 client is created anywhere here.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from privacydesk.datamap.domain import retention_schedule as retention
from privacydesk.datamap.domain.anonymization import AnonymizationRule, anonymized_item, owner_rule
from privacydesk.datamap.domain.model import DataMap, Store, SubjectKey, SubjectLookup, load_datamap
from privacydesk.datamap.domain.ports import DeleteOutcome, Page, StoreConnector
from privacydesk.fulfilment.domain.export_links import ExportGrant
from privacydesk.fulfilment.domain.ports import FulfilmentServices
from privacydesk.kernel.errors import Conflict, NotFound
from privacydesk.kernel.events import DomainEvent
from privacydesk.kernel.ports import OutgoingEmail
from privacydesk.requests.domain.audit_trail import AuditEvent, next_event
from privacydesk.requests.domain.deadline_monitor import MonitorRules, next_check_at
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus
from privacydesk.requests.domain.outbox import (
    ClaimState,
    Consequences,
    OutboxItem,
    OutboxPorts,
    deliver,
    numbered,
)
from privacydesk.requests.domain.ports import Allowance, RequestConfig, RequestServices
from privacydesk.requests.domain.tokens import VerificationChallenge
from privacydesk.subjects.domain.ports import HoldView, Objection

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday: working-day clocks start at once
BASE_URL = "https://privacy.example.test"


# ----------------------------------------------------------------------------- senders
class FakeMailer:
    """Mailer: keeps what SES would have accepted. `failing` makes every send raise, as SES throttling."""

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failing = False

    def send(self, message: OutgoingEmail) -> str:
        if self.failing:
            raise RuntimeError("SES refused the message")
        self.sent.append(message)
        return f"fake-message-{len(self.sent)}"

    def to(self, address: str) -> list[OutgoingEmail]:
        return [m for m in self.sent if m.to == address]


class FakeSms:
    """SmsSender: keeps (phone, text) of every accepted SMS."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failing = False

    def send(self, phone_e164: str, text: str) -> str:
        if self.failing:
            raise RuntimeError("SNS refused the message")
        self.sent.append((phone_e164, text))
        return f"fake-sms-{len(self.sent)}"

    def to(self, phone: str) -> list[str]:
        return [text for to, text in self.sent if to == phone]


class FakeEventBus:
    """EventPublisher: keeps every published event."""

    def __init__(self) -> None:
        self.published: list[DomainEvent] = []

    def publish(self, *events: DomainEvent) -> None:
        self.published.extend(events)

    def detail_types(self, request_id: str | None = None) -> list[str]:
        return [
            e.detail_type for e in self.published if request_id is None or getattr(e, "request_id", None) == request_id
        ]


# ----------------------------------------------------------------------------- requests
class InMemoryRequestStore:
    """RequestStore (requests.domain.ports), plus `open_due` (deadlines.domain.deadline_checks.OpenRequests)."""

    def __init__(self, rules: MonitorRules | None = None) -> None:
        self.requests: dict[str, PrivacyRequest] = {}
        self.trails: dict[str, list[AuditEvent]] = defaultdict(list)
        self.challenges: dict[str, VerificationChallenge] = {}
        self.outbox: list[OutboxItem] = []
        self.rules = rules or MonitorRules()

    def _append_outbox(self, items: list[OutboxItem], event: AuditEvent) -> None:
        known = {item.outbox_id for item in self.outbox}
        fresh = [i for i in numbered(items, f"{event.request_id}#{event.seq:06d}") if i.outbox_id not in known]
        self.outbox.extend(fresh)

    def create(
        self,
        request: PrivacyRequest,
        *,
        actor: str,
        details: dict[str, Any],
        challenge: VerificationChallenge | None,
        outbox: list[OutboxItem] | None = None,
    ) -> PrivacyRequest:
        if request.request_id in self.requests:
            raise Conflict("the request already exists", code="request_exists")
        event = next_event(
            request.request_id,
            None,
            at=request.received_at,
            action="received",
            actor=actor,
            to_status=request.status,
            details=details,
        )
        self.requests[request.request_id] = request
        self.trails[request.request_id].append(event)
        if challenge:
            self.challenges[challenge.request_id] = challenge
        self._append_outbox(outbox or [], event)
        return request

    def get(self, request_id: str) -> PrivacyRequest | None:
        return self.requests.get(request_id)

    def require(self, request_id: str) -> PrivacyRequest:
        found = self.get(request_id)
        if found is None:
            raise NotFound("no such request", code="request_not_found")
        return found

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
    ) -> PrivacyRequest:
        before = self.require(request_id)
        after = mutate(before).model_copy(update={"version": before.version + 1})
        head = self.trails[request_id][-1]
        moved = after.status != before.status
        event = next_event(
            request_id,
            (head.seq, head.hash or ""),
            at=at,
            action=action,
            actor=actor,
            from_status=before.status if moved else None,
            to_status=after.status if moved else None,
            details=details,
        )
        items = outbox(after) if outbox else []
        if use_challenge:
            challenge = self.challenges.get(request_id)
            if challenge is None or challenge.used:  # the adapter's `used = false` condition
                raise Conflict("the request changed meanwhile; try again", code="concurrent_update")
            self.challenges[request_id] = replace(challenge, used=True)
        elif challenge is not None:  # a renewed challenge, whose message is among the items
            self.challenges[request_id] = challenge
        self.requests[request_id] = after
        self.trails[request_id].append(event)
        self._append_outbox(items, event)
        return after

    def by_subject(self, subject_key: str, limit: int = 25) -> list[PrivacyRequest]:
        mine = [r for r in self.requests.values() if r.subject.key == subject_key]
        return sorted(mine, key=lambda r: r.received_at, reverse=True)[:limit]

    def page(
        self, *, status: RequestStatus, due_before: datetime | None, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[PrivacyRequest], dict[str, Any] | None]:
        found = sorted(
            (
                r
                for r in self.requests.values()
                if r.status == status and (due_before is None or r.respond_by <= due_before)
            ),
            key=lambda r: r.respond_by,
        )
        start = int((cursor or {}).get("offset", 0))
        page = found[start : start + limit]
        more = start + limit < len(found)
        return page, ({"offset": start + limit} if more else None)

    def open_due(self, before: datetime, limit: int = 500) -> list[PrivacyRequest]:
        due = [r for r in self.requests.values() if r.is_open and next_check_at(r, self.rules) <= before]
        return due[:limit]

    def audit_trail(self, request_id: str) -> list[AuditEvent]:
        return list(self.trails.get(request_id, []))

    def challenge(self, request_id: str) -> VerificationChallenge | None:
        return self.challenges.get(request_id)

    def replace_challenge(self, challenge: VerificationChallenge, outbox: list[OutboxItem] | None = None) -> None:
        """A new challenge, with the outbox item that delivers its secret (one write, as the adapter's)."""
        self.challenges[challenge.request_id] = challenge
        known = {item.outbox_id for item in self.outbox}
        prefix = f"{challenge.request_id}#challenge#{len(self.outbox):06d}"
        self.outbox.extend(i for i in numbered(outbox or [], prefix) if i.outbox_id not in known)

    def count_failed_attempt(self, request_id: str) -> None:
        current = self.challenges.get(request_id)
        if current is not None:
            self.challenges[request_id] = replace(current, attempts=current.attempts + 1)

    # -- what a test reads
    def actions(self, request_id: str) -> list[str]:
        return [event.action for event in self.trails.get(request_id, [])]


def _window(now: datetime, size: timedelta) -> int:
    return int(now.timestamp()) // int(size.total_seconds())


class InMemoryAbuseLimits:
    """AbuseLimits: one counter per kind, key and window; `spend` honours the cap and the cooldown."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str, int], int] = defaultdict(int)
        self.last_at: dict[tuple[str, str, int], datetime] = {}

    def spend(self, kind: str, key: str, allowance: Allowance, now: datetime) -> bool:
        counter = (kind, key, _window(now, allowance.window))
        if allowance.cap <= 0:
            return False
        if counter in self.last_at:
            if self.hits[counter] >= allowance.cap:
                return False
            if allowance.cooldown and now - self.last_at[counter] < allowance.cooldown:
                return False
        self.count(kind, key, allowance, now)
        return True

    def used(self, kind: str, key: str, allowance: Allowance, now: datetime) -> int:
        return self.hits.get((kind, key, _window(now, allowance.window)), 0)

    def count(self, kind: str, key: str, allowance: Allowance, now: datetime) -> None:
        counter = (kind, key, _window(now, allowance.window))
        self.hits[counter] += 1
        self.last_at[counter] = now


class InMemoryReceipts:
    """ReceiptStore: the fresh receipts shown for duplicates."""

    def __init__(self) -> None:
        self.saved: dict[str, tuple[PrivacyRequest, datetime]] = {}

    def save(self, receipt: PrivacyRequest, valid_until: datetime) -> None:
        self.saved[receipt.request_id] = (receipt, valid_until)

    def get(self, receipt_id: str) -> tuple[PrivacyRequest, datetime] | None:
        return self.saved.get(receipt_id)


class InMemoryDeliveryClaims:
    """DeliveryClaims (requests.outbox): claimed, then delivered; a released claim can be taken again."""

    def __init__(self) -> None:
        self.state: dict[str, ClaimState] = {}

    def claim(self, outbox_id: str, now: datetime) -> ClaimState:
        if self.state.get(outbox_id) == "delivered":
            return "delivered"
        self.state[outbox_id] = "claimed"
        return "claimed"

    def mark_delivered(self, outbox_id: str, now: datetime) -> None:
        self.state[outbox_id] = "delivered"

    def release(self, outbox_id: str) -> None:
        self.state.pop(outbox_id, None)


# ----------------------------------------------------------------------------- fulfilment
@dataclass(frozen=True)
class FakeAccount:
    """What datamap.adapters.accounts.RegisteredAccount carries."""

    account_id: str
    email: str
    phone: str | None = None
    status: str = "active"


class InMemoryAccounts:
    """AccountLookup over the `accounts` store's items (one source of truth with its connector)."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def _find(self, attribute: str, value: str) -> FakeAccount | None:
        for item in self.items:
            if item.get(attribute) == value:
                return FakeAccount(item["account_id"], item.get("email", ""), item.get("phone"), item.get("status", ""))
        return None

    def by_email(self, email: str) -> FakeAccount | None:
        return self._find("email", email)

    def by_phone(self, phone_e164: str) -> FakeAccount | None:
        return self._find("phone", phone_e164)

    def by_id(self, account_id: str) -> FakeAccount | None:
        return self._find("account_id", account_id)


class InMemoryHolds:
    """HoldLookup (fulfilment) and Holds (the sweep): legal holds by account id."""

    def __init__(self) -> None:
        self.reasons: dict[str, str] = {}

    def active_hold(self, account_id: str) -> HoldView | None:
        reason = self.reasons.get(account_id)
        return HoldView(account_id=account_id, reason=reason) if reason else None

    def held_among(self, account_ids: set[str]) -> set[str]:
        return account_ids & self.reasons.keys()


class InMemoryObjections:
    def __init__(self) -> None:
        self.by_subject: dict[str, dict[str, Objection]] = defaultdict(dict)

    def get(self, subject_ref: str) -> dict[str, Objection]:
        return dict(self.by_subject.get(subject_ref, {}))

    def record(self, subject_ref: str, objections: list[Objection]) -> None:
        self.by_subject[subject_ref].update({o.purpose: o for o in objections})


class _Upload(io.BytesIO):
    def __init__(self, on_close: Callable[[bytes], None]) -> None:
        super().__init__()
        self._on_close = on_close

    def close(self) -> None:
        if not self.closed:
            self._on_close(self.getvalue())
        super().close()


class InMemoryExports:
    """ExportTarget: the export bucket's objects by key."""

    bucket = "fake-exports"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def writer(self, key: str, content_type: str) -> IO[bytes]:
        return _Upload(lambda body: self.objects.__setitem__(key, body))

    def remove(self, key: str) -> int:
        return 1 if self.objects.pop(key, None) is not None else 0


class InMemoryExportGrants:
    """ExportGrantStore: the download links' hashed secrets by request id."""

    def __init__(self) -> None:
        self.grants: dict[str, ExportGrant] = {}

    def save(self, grant: ExportGrant) -> None:
        self.grants[grant.request_id] = grant

    def get(self, request_id: str) -> ExportGrant | None:
        return self.grants.get(request_id)

    def revoke(self, request_id: str, now: datetime) -> bool:
        grant = self.grants.get(request_id)
        if grant is None:
            return False
        self.grants[request_id] = replace(grant, challenge=replace(grant.challenge, expires_at=now))
        return True


def _expired(item: dict[str, Any], now_epoch: int) -> bool:
    ttl = item.get("expires_at")
    return isinstance(ttl, int | float) and ttl <= now_epoch


class InMemoryStore:
    """StoreConnector (fulfilment) and StoreAccess (the retention sweep) over one data-map store.

    DynamoDB stores keep items as dicts; S3 stores keep objects as items with "key" and "body" (their
    versions count in `versions_left` until removed). Items carry `expires_at` (TTL) and
    `expiry_bucket` (the sweep's by_expiry partition) as the adapters write them.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.items: list[dict[str, Any]] = []
        self.failing = False  # every write raises, as a throttled table would after retries

    # -- seeding (what a test puts there)
    def put(self, **item: Any) -> dict[str, Any]:
        if self.store.kind == "s3":
            owner = item["account_id"]
            item.setdefault("key", f"{(self.store.prefix or '').replace('{account_id}', owner)}{item['file_name']}")
            item.setdefault("size", len(item.get("body", b"")))
            item.setdefault("last_modified", START.isoformat())
        self.items.append(item)
        return item

    # -- StoreConnector
    def key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        names = ["key"] if self.store.kind == "s3" else self.store.key_attributes
        return {name: item[name] for name in names}

    def _matching(self, lookup: SubjectLookup, value: str) -> list[dict[str, Any]]:
        return [item for item in self.items if item.get(lookup.attribute) == value]

    def pages(
        self, lookup: SubjectLookup, value: str, *, now_epoch: int, include_expired: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        if self.store.kind == "s3" and lookup.key != SubjectKey.ACCOUNT_ID:
            return
        items = [
            {k: v for k, v in item.items() if k != "body"}
            for item in self._matching(lookup, value)
            if include_expired or not _expired(item, now_epoch)
        ]
        if items:
            yield items

    def open(self, item: dict[str, Any]) -> IO[bytes] | None:
        found = next((i for i in self.items if i.get("key") == item.get("key")), None)
        return io.BytesIO(found.get("body", b"")) if found else None

    def _write(self) -> None:
        if self.failing:
            from privacydesk.datamap.domain.store_errors import StoreWriteError

            raise StoreWriteError(self.store.name, "throttled")

    def _remove_keys(self, keys: list[dict[str, Any]]) -> int:
        before = len(self.items)
        self.items[:] = [i for i in self.items if self.key_of(i) not in keys]
        return before - len(self.items)

    def delete(self, items: list[dict[str, Any]]) -> int:
        self._write()
        return self._remove_keys([self.key_of(i) for i in items])

    def anonymize(self, items: list[dict[str, Any]], rule: AnonymizationRule) -> int:
        self._write()
        if self.store.kind == "s3":
            return self.delete(items)
        done = 0
        for item in items:
            key = self.key_of(item)
            current = next((i for i in self.items if self.key_of(i) == key), None)
            if current is None:
                continue  # already gone: not recreated (the adapter's attribute_exists condition)
            self._remove_keys([key])
            self.items.append(anonymized_item(self.store, current, rule))
            done += 1
        return done

    def assign(self, items: list[dict[str, Any]], values: dict[str, Any]) -> int:
        self._write()
        done = 0
        for item in items:
            current = next((i for i in self.items if self.key_of(i) == self.key_of(item)), None)
            if current is not None:
                current.update(values)
                done += 1
        return done

    def remove_all(self, lookup: SubjectLookup, value: str) -> int:
        self._write()
        return self._remove_keys([self.key_of(i) for i in self._matching(lookup, value)])

    def versions_left(self, lookup: SubjectLookup, value: str) -> int:
        return len(self._matching(lookup, value)) if self.store.kind == "s3" else 0

    # -- StoreAccess (the retention sweep)
    def expired_page(self, bucket: str, threshold: int, start_key: str | None, limit: int) -> Page:
        due = [
            self.key_of(i)
            for i in self.items
            if i.get("expiry_bucket") == bucket
            and i.get("expires_at") is not None
            and int(i["expires_at"]) <= threshold
        ]
        start = int(start_key or 0)
        page = due[start : start + limit]
        return Page(page, str(start + limit) if start + limit < len(due) else None)

    def get_many(self, keys: list[dict[str, Any]], attributes: list[str]) -> tuple[list[dict[str, Any]], int]:
        found = [dict(i) for i in self.items if self.key_of(i) in keys]
        return found, (len(keys) + 99) // 100

    def delete_items(self, keys: list[dict[str, Any]]) -> DeleteOutcome:
        if self.failing:
            return DeleteOutcome(deleted=0, calls=(len(keys) + 24) // 25, failed_keys=list(keys))
        return DeleteOutcome(deleted=self._remove_keys(keys), calls=(len(keys) + 24) // 25, failed_keys=[])

    def anonymize_item(self, item: dict[str, Any], threshold: int) -> bool:
        current = next((i for i in self.items if self.key_of(i) == self.key_of(item)), None)
        if current is None or current.get("expires_at") is None or int(current["expires_at"]) > threshold:
            return False  # gone, or its expiry moved (a hold): the adapter's condition refuses
        self._remove_keys([self.key_of(current)])
        self.items.append(anonymized_item(self.store, current, owner_rule(self.store)))  # what the sweep applies
        return True

    def set_expiry(self, key: dict[str, Any], fields: dict[str, Any] | None) -> bool:
        current = next((i for i in self.items if self.key_of(i) == key), None)
        if current is None:
            return False
        if fields is None:
            current.pop("expires_at", None)
            current.pop("expiry_bucket", None)
        else:
            current.update(fields)
        return True

    def move_to_bucket(self, key: dict[str, Any], bucket: str) -> bool:
        return self.set_expiry(key, {"expiry_bucket": bucket})


class _SweepStoreView:
    """The sweep calls `anonymize_expired(item, threshold)`; fulfilment calls `anonymize(items, rule)`."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def anonymize_expired(self, item: dict[str, Any], threshold: int) -> bool:
        return self._store.anonymize_item(item, threshold)


class InMemoryCheckpoints:
    def __init__(self) -> None:
        self.saved: dict[str, retention.Checkpoint] = {}

    def load(self, store: str) -> retention.Checkpoint | None:
        return self.saved.get(store)

    def save(self, store: str, checkpoint: retention.Checkpoint) -> None:
        self.saved[store] = checkpoint


class InMemoryObjects:
    """Objects (the sweep): linked S3 objects, looked up in the data map's S3 stores."""

    def __init__(self, stores: dict[str, InMemoryStore], bucket_of_store: dict[str, str]) -> None:
        self.stores, self.bucket_of_store = stores, bucket_of_store

    def _in(self, bucket: str) -> list[InMemoryStore]:
        return [self.stores[name] for name, b in self.bucket_of_store.items() if b == bucket]

    def delete_object(self, bucket: str, key: str) -> int:
        return sum(s._remove_keys([{"key": key}]) for s in self._in(bucket))

    def delete_all_versions(self, bucket: str, prefix: str) -> int:
        removed = 0
        for store in self._in(bucket):
            keys = [store.key_of(i) for i in store.items if str(i.get("key", "")).startswith(prefix)]
            removed += store._remove_keys(keys)
        return removed


class InMemoryLease:
    def __init__(self) -> None:
        self.holder: str | None = None
        self.until: datetime | None = None

    def acquire(self, holder: str, now: datetime, until: datetime) -> bool:
        if self.holder is not None and self.until is not None and now < self.until and self.holder != holder:
            return False
        self.holder, self.until = holder, until
        return True

    def release(self, holder: str, now: datetime) -> None:
        if self.holder == holder:
            self.holder, self.until = None, None


class InMemorySweepPorts:
    """retention.domain.retention_sweep.Ports over the desk's stores (one shard per day)."""

    def __init__(self, stores: dict[str, InMemoryStore], holds: InMemoryHolds, datamap: DataMap) -> None:
        self.checkpoints = InMemoryCheckpoints()
        self.holds = holds
        self._stores = stores
        buckets = {s.name: s.name for s in datamap.stores if s.kind == "s3"}  # a bucket named by its store
        self.objects = InMemoryObjects(stores, buckets)

    def store(self, store: Store) -> _SweepStoreView:
        return _SweepStoreView(self._stores[store.name])

    def bucket_name(self, store: str) -> str:
        return store  # buckets are named by their store here

    def bucket_of(self, day: date, key: dict[str, Any], store: Store) -> str:
        return expiry_bucket(day)


def expiry_bucket(day: date) -> str:
    return f"{day.isoformat()}#0"


class RecordingProcessorNotices:
    """ProcessorNotices (requests.domain.outbox): what would be sent to each processor (Art. 19)."""

    def __init__(self) -> None:
        self.sent: list[OutboxItem] = []

    def send(self, item: OutboxItem, now: datetime) -> None:
        self.sent.append(item)


# ----------------------------------------------------------------------------- the desk
@dataclass
class FakeDesk:
    """Every port faked, a clock the test moves, and what the requester and the DPO can see."""

    now: datetime = START
    datamap: DataMap = field(default_factory=load_datamap)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    sms: FakeSms = field(default_factory=FakeSms)
    bus: FakeEventBus = field(default_factory=FakeEventBus)
    requests: InMemoryRequestStore = field(default_factory=InMemoryRequestStore)
    limits: InMemoryAbuseLimits = field(default_factory=InMemoryAbuseLimits)
    receipts: InMemoryReceipts = field(default_factory=InMemoryReceipts)
    claims: InMemoryDeliveryClaims = field(default_factory=InMemoryDeliveryClaims)
    processor_notices: RecordingProcessorNotices = field(default_factory=RecordingProcessorNotices)
    holds: InMemoryHolds = field(default_factory=InMemoryHolds)
    objections: InMemoryObjections = field(default_factory=InMemoryObjections)
    exports: InMemoryExports = field(default_factory=InMemoryExports)
    export_grants: InMemoryExportGrants = field(default_factory=InMemoryExportGrants)
    stores: dict[str, InMemoryStore] = field(default_factory=dict)
    config: RequestConfig | None = None

    def __post_init__(self) -> None:
        for store in self.datamap.stores:
            self.stores.setdefault(store.name, InMemoryStore(store))
        if self.config is None:
            self.config = RequestConfig(
                public_base_url=BASE_URL, policy_version=lambda: "2025-11-30", datamap_version=self.datamap.version
            )
        self.accounts = InMemoryAccounts(self.stores["accounts"].items)
        self.sweep_ports = InMemorySweepPorts(self.stores, self.holds, self.datamap)
        self.lease = InMemoryLease()

    def later(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def services(self) -> RequestServices:
        """A fresh per-invocation view, as bootstrap.fresh_services gives a handler."""
        assert self.config is not None
        return RequestServices(
            requests=self.requests,
            mailer=self.mailer,
            sms=self.sms,
            events=self.bus,
            config=self.config,
            limits=self.limits,
            receipts=self.receipts,
        )

    def fulfilment(self) -> FulfilmentServices:
        return FulfilmentServices(
            requests=self.services(),
            datamap=self.datamap,
            connector=self.connector,
            accounts=self.accounts,
            holds=self.holds,
            objections=self.objections,
            exports=self.exports,
            export_links=self.export_grants,
        )

    def connector(self, store: Store) -> StoreConnector:
        return self.stores[store.name]

    def deliver_outbox(self) -> int:
        """What the outbox stream consumer does after each commit: deliver every item not yet delivered."""
        ports = OutboxPorts(
            claims=self.claims, events=self.bus, mailer=self.mailer, sms=self.sms, processors=self.processor_notices
        )
        delivered = 0
        for item in list(self.requests.outbox):
            if deliver(item, now=self.now, ports=ports) == "delivered":
                delivered += 1
        return delivered

    # -- what a requester reads
    def verification_token(self, to: str, request_id: str) -> str:
        self.deliver_outbox()  # the link is committed with the request and sent by the outbox
        for message in reversed(self.mailer.to(to)):
            found = re.search(r"(https?://\S+/privacy/verify\?\S+)", message.text)
            if found:
                query = parse_qs(urlsplit(found.group(1)).query)
                if query.get("request") == [request_id]:
                    return query["token"][0]
        raise AssertionError(f"no verification link for {request_id} in the mail")

    def sms_code(self, phone: str) -> str:
        self.deliver_outbox()  # the code is committed with the request and texted by the outbox
        for text in reversed(self.sms.to(phone)):
            found = re.search(r"\b(\d{6})\b", text)
            if found:
                return found.group(1)
        raise AssertionError("no verification code in the SMS sent")

    def subjects(self, to: str) -> list[str]:
        return [m.subject for m in self.mailer.to(to)]
