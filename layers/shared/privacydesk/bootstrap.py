"""The composition root: the one place that builds each function's adapters and hands them to its
domain. Built once per warm container, each factory importing only what it builds (a cold start pays
for its own path); tests and the stand-in rebuild through `on_reload`."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from privacydesk.kernel.settings import get_settings, link_base_url, on_reload
from privacydesk.kernel.snapshots import after_restore

if TYPE_CHECKING:
    from datetime import datetime

    from privacydesk.change_notices.domain.notice_delivery import SendingContext
    from privacydesk.email_intake.domain.email_intake import EmailPorts
    from privacydesk.fulfilment.domain.ports import FulfilmentServices
    from privacydesk.requests.domain.model import PrivacyRequest
    from privacydesk.requests.domain.outbox import OutboxItem, OutboxPorts
    from privacydesk.requests.domain.ports import RequestServices
    from privacydesk.retention.domain.ttl_accounting import TtlBatch
    from privacydesk.subjects.domain.ports import HoldView

# Each factory imports what it builds, so a function pays at cold start only for the services
# its own path uses (the deadline monitor never loads the data map or the fulfilment stores).

_POLICY_CACHE_SECONDS = 60.0
_policy_cache: dict[str, tuple[float, str]] = {}


def current_policy_version() -> str:
    """The version in force (ids only), cached briefly per container; it changes a few times a year.
    The one cache of it: requests are stamped with it and the public API's headers name it."""
    from privacydesk.kernel.clock import utc_now
    from privacydesk.policy.adapters.policy_store import PolicyRepository
    from privacydesk.policy.domain.policy import current_version_id

    cached = _policy_cache.get("version")
    if cached and time.monotonic() - cached[0] < _POLICY_CACHE_SECONDS:
        return cached[1]
    version = current_version_id(PolicyRepository(), utc_now())
    _policy_cache["version"] = (time.monotonic(), version)
    return version


def public_base_url(fallback_host: str | None = None) -> str:
    """Where links point (see settings.link_base_url, the one place that decides it)."""
    return link_base_url(fallback_host)


@cache
def request_services() -> RequestServices:
    from privacydesk.datamap.domain.corrections import correctable_fields
    from privacydesk.datamap.domain.model import load_datamap
    from privacydesk.kernel.event_bus import EventBridgePublisher
    from privacydesk.kernel.mailer import SesMailer
    from privacydesk.kernel.sms import SnsSmsSender
    from privacydesk.requests.adapters.abuse_limits import AbuseCounters
    from privacydesk.requests.adapters.receipts import DuplicateReceipts
    from privacydesk.requests.adapters.requests_store import RequestRepository
    from privacydesk.requests.domain.ports import RequestConfig, RequestServices

    return RequestServices(
        limits=AbuseCounters(),
        receipts=DuplicateReceipts(),
        requests=RequestRepository(),
        mailer=SesMailer(),
        sms=SnsSmsSender(),
        events=EventBridgePublisher(),
        config=RequestConfig(
            public_base_url=public_base_url(),
            policy_version=current_policy_version,
            datamap_version=load_datamap().version,
            correctable_fields=frozenset(correctable_fields(load_datamap())),
        ),
    )


def fresh_services(request_host: str | None = None) -> RequestServices:
    """Per-invocation view: shared clients, a fresh list of what was sent. `request_host`: the
    domain the HTTP call came in on, where links point when no base URL is configured (an API
    function cannot name its own API in the template)."""
    from dataclasses import replace

    from privacydesk.requests.domain.ports import RequestServices

    base = request_services()
    config = base.config
    if request_host and not get_settings().public_base_url:
        config = replace(config, public_base_url=public_base_url(request_host))
    return RequestServices(
        requests=base.requests,
        mailer=base.mailer,
        sms=base.sms,
        events=base.events,
        config=config,
        limits=base.limits,
        receipts=base.receipts,
    )


def reset() -> None:
    request_services.cache_clear()
    _policy_cache.clear()


on_reload(reset)
after_restore(reset)  # SnapStart: a restored sandbox reads the policy in force, not the snapshot's


@cache
def fulfilment_services() -> FulfilmentServices:
    from privacydesk.datamap.adapters.accounts import AccountDirectory
    from privacydesk.datamap.adapters.store_registry import adapter_for
    from privacydesk.datamap.domain.model import load_datamap
    from privacydesk.fulfilment.adapters.export_grants import ExportGrants
    from privacydesk.fulfilment.adapters.external_connectors import external_connector_for
    from privacydesk.fulfilment.adapters.manual_connector import ManualAttachments
    from privacydesk.fulfilment.domain.ports import FulfilmentServices
    from privacydesk.kernel.object_store import ExportBucket
    from privacydesk.subjects.adapters.legal_holds import HoldRepository
    from privacydesk.subjects.adapters.objections_store import ObjectionRegistry

    return FulfilmentServices(
        requests=request_services(),
        datamap=load_datamap(),
        connector=adapter_for,
        accounts=AccountDirectory(),
        holds=ActiveHolds(HoldRepository()),
        objections=ObjectionRegistry(),
        exports=ExportBucket(),
        export_links=ExportGrants(),
        export_link_days=get_settings().export_link_days,
        external=external_connector_for,
        attachment=ManualAttachments().open,
    )


def fresh_fulfilment_services() -> FulfilmentServices:
    from privacydesk.fulfilment.domain.ports import FulfilmentServices

    base = fulfilment_services()
    return FulfilmentServices(**{**base.__dict__, "requests": fresh_services()})


class ActiveHolds:
    """The fulfilment view of the legal-hold store: is this account under a hold, and why."""

    def __init__(self, repository: Any) -> None:
        self.repository = repository

    def active_hold(self, account_id: str) -> HoldView | None:
        from privacydesk.subjects.domain.ports import HoldView

        hold = self.repository.get(account_id)
        return HoldView(account_id=account_id, reason=hold.reason) if hold else None


on_reload(fulfilment_services.cache_clear)


# --- Scheduled and queue-driven functions: the ports each one's domain call takes ----------------


def email_intake_ports() -> EmailPorts:
    """Where email intake reads the raw message, looks up accounts and queues mail for review."""
    from privacydesk.datamap.adapters.accounts import AccountDirectory
    from privacydesk.email_intake.adapters.review_queue import ReviewRepository
    from privacydesk.email_intake.domain.email_intake import EmailPorts
    from privacydesk.kernel.object_store import S3ObjectStore

    return EmailPorts(objects=S3ObjectStore(), accounts=AccountDirectory(), review=ReviewRepository())


def deadline_check_ports() -> dict[str, Any]:
    """deadline_checks.run's ports: fresh request services, the open-request index, the rules."""
    from privacydesk.requests.adapters.requests_store import RequestRepository, monitor_rules

    return {
        "services": fresh_services(),
        "open_requests": RequestRepository(),
        "rules": monitor_rules(),
        "dpo_email": get_settings().dpo_email,
    }


@cache
def notice_dispatch_ports() -> dict[str, Any]:
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
    from privacydesk.change_notices.adapters.notice_queue import SqsRecipientQueue
    from privacydesk.change_notices.adapters.notice_recipients import NoticeRecipients
    from privacydesk.kernel.event_bus import EventBridgePublisher

    return {
        "accounts": NoticeRecipients(),
        "queue": SqsRecipientQueue(),
        "runs": DeliveryLedger(),
        "bus": EventBridgePublisher(),
    }


NOTICE_SEND_BUCKET = "ses-notices"  # the token bucket every notice sender shares


@cache
def _notice_sending_adapters() -> dict[str, Any]:
    """The senders' adapters, built once per container; only the time left changes per call."""
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
    from privacydesk.change_notices.adapters.notice_queue import NoticeMailer
    from privacydesk.change_notices.adapters.notice_recipients import NoticeRecipients
    from privacydesk.change_notices.adapters.suppression_list import SuppressionList
    from privacydesk.kernel.clock import utc_now
    from privacydesk.kernel.rate_limits import DynamoTokenBucket
    from privacydesk.policy.adapters.policy_store import PolicyRepository

    settings = get_settings()
    return {
        "versions": PolicyRepository(),
        "recipients": NoticeRecipients(),
        "suppressions": SuppressionList(),
        "ledger": DeliveryLedger(),
        "limiter": DynamoTokenBucket(NOTICE_SEND_BUCKET, rate=settings.notice_max_send_rate),
        "mailer": NoticeMailer(),
        "base_url": link_base_url(),
        "configuration_set": settings.notice_configuration_set or None,
        "clock": utc_now,
        "sleep": time.sleep,
    }


def notice_sending(seconds_left: Callable[[], float]) -> SendingContext:
    """A sender's context for one invocation (its own version cache, its own deadline)."""
    from privacydesk.change_notices.domain.notice_delivery import SendingContext

    return SendingContext(**_notice_sending_adapters(), seconds_left=seconds_left)


@cache
def ses_feedback_ports() -> dict[str, Any]:
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
    from privacydesk.change_notices.adapters.suppression_list import SuppressionList

    return {"ledger": DeliveryLedger(), "suppressions": SuppressionList()}


@cache
def acceptance_ports() -> dict[str, Any]:
    from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
    from privacydesk.change_notices.adapters.notice_recipients import ApiUsage
    from privacydesk.policy.adapters.policy_store import PolicyRepository

    return {"catalog": PolicyRepository(), "ledger": DeliveryLedger(), "usage": ApiUsage()}


for _factory in (notice_dispatch_ports, _notice_sending_adapters, ses_feedback_ports, acceptance_ports):
    on_reload(_factory.cache_clear)


@cache
def outbox_ports() -> OutboxPorts:
    """What delivering a committed outbox item needs: the claims, the bus, SES, SNS, processors."""
    from privacydesk.kernel.event_bus import EventBridgePublisher
    from privacydesk.kernel.mailer import SesMailer
    from privacydesk.kernel.sms import SnsSmsSender
    from privacydesk.processors.entry.delivery import processor_notice_sender
    from privacydesk.requests.adapters.outbox_store import OutboxClaims
    from privacydesk.requests.domain.outbox import OutboxPorts

    mailer = SesMailer()
    return OutboxPorts(
        claims=OutboxClaims(),
        events=EventBridgePublisher(),
        mailer=mailer,
        sms=SnsSmsSender(),
        processors=processor_notice_sender(mailer),
    )


on_reload(outbox_ports.cache_clear)


# --- Retention: the sweep and the TTL accounting -----------------------------------------------


@cache
def retention_sweep_ports() -> dict[str, Any]:
    """retention_sweep.sweep's collaborators: the lease, the stores, the rules and where runs are audited."""
    from privacydesk.audit.adapters import retention_audit
    from privacydesk.datamap.adapters.reference_stores import EXPIRY_SHARDS
    from privacydesk.datamap.adapters.retention_fields import rules
    from privacydesk.datamap.domain.model import load_datamap
    from privacydesk.retention.adapters.sweep_ports import SweepLeaseStore, SweepPorts

    return {
        "lease": SweepLeaseStore(),
        "ports": SweepPorts(),
        "datamap": load_datamap(),
        "rules": rules(),
        "shards": EXPIRY_SHARDS,
        "lookback_days": get_settings().retention_lookback_days,
        "record_run": retention_audit.record_sweep,
    }


def sweep_continuation(queue_url: str) -> Callable[[dict[str, Any]], None]:
    """Sends the event of the sweep's next invocation to its continuation queue (a failed send raises)."""
    import json

    from privacydesk.kernel.aws import client

    def send(event: dict[str, Any]) -> None:
        client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))

    return send


class _TtlAccountingPorts:
    """ttl_accounting's ports: the retention audit stream and the S3 objects a TTL'd item points to."""

    def __init__(self) -> None:
        from privacydesk.kernel.object_store import S3ObjectStore

        self.objects = S3ObjectStore()

    def record(self, batch: TtlBatch, now: datetime) -> None:
        from privacydesk.audit.adapters import retention_audit

        retention_audit.record_ttl_deletions(batch.store, batch.day, batch.first_sequence, batch.item_keys, now)

    def _bucket(self, bucket_store: str) -> str:
        from privacydesk.datamap.adapters.locations import physical_name
        from privacydesk.datamap.domain.model import load_datamap

        return physical_name(load_datamap().store(bucket_store))

    def delete_object(self, bucket_store: str, key: str) -> int:
        return self.objects.delete_object(self._bucket(bucket_store), key)

    def delete_prefix(self, bucket_store: str, prefix: str) -> int:
        return self.objects.delete_all_versions(self._bucket(bucket_store), prefix)


@cache
def ttl_accounting_ports() -> dict[str, Any]:
    """ttl_accounting.account's collaborators: table name -> data-map store, and its ports."""
    from privacydesk.datamap.adapters.locations import physical_name
    from privacydesk.datamap.domain.model import load_datamap

    return {
        "stores_by_table": {physical_name(s): s for s in load_datamap().stores if s.kind == "dynamodb"},
        "ports": _TtlAccountingPorts(),
    }


for _factory in (retention_sweep_ports, ttl_accounting_ports):
    on_reload(_factory.cache_clear)


# --- Processors: who a DPO's manual completion tells ------------------------------------------


def processors_told_on_manual_completion(
    request: PrivacyRequest,
) -> tuple[dict[str, Any], Callable[[PrivacyRequest], list[OutboxItem]] | None]:
    """The processors a DPO's manual completion of `request` tells (GDPR Art. 19), and their notices
    to commit with it: the requests capability completes, the processors capability decides."""
    from privacydesk.processors.domain.completion import told_on_manual_completion
    from privacydesk.processors.domain.model import load_processors

    return told_on_manual_completion(request, load_processors())
