"""Builds the real services once per warm container (tests and the stand-in rebuild via reset)."""

from __future__ import annotations

import time
from functools import cache
from typing import TYPE_CHECKING, Any

from privacydesk.settings import get_settings, link_base_url, on_reload

if TYPE_CHECKING:
    from privacydesk.logic.fulfilment_ports import FulfilmentServices, HoldView
    from privacydesk.logic.ports import RequestServices

# Each factory imports what it builds, so a function pays at cold start only for the services
# its own path uses (the deadline monitor never loads the data map or the fulfilment stores).

_POLICY_CACHE_SECONDS = 60.0
_policy_cache: dict[str, tuple[float, str]] = {}


def current_policy_version() -> str:
    """The version in force (ids only), cached briefly per container; it changes a few times a year.
    The one cache of it: requests are stamped with it and the public API's headers name it."""
    from privacydesk.clock import utc_now
    from privacydesk.dal.policy_store import PolicyRepository
    from privacydesk.logic.policy import current_version_id

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
    from privacydesk.dal.abuse_limits import AbuseCounters
    from privacydesk.dal.receipts import DuplicateReceipts
    from privacydesk.dal.requests_store import RequestRepository
    from privacydesk.integrations.event_bus import EventBridgePublisher
    from privacydesk.integrations.mailer import SesMailer
    from privacydesk.integrations.sms import SnsSmsSender
    from privacydesk.logic.corrections import correctable_fields
    from privacydesk.logic.ports import RequestConfig, RequestServices
    from privacydesk.models.datamap import load_datamap

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

    from privacydesk.logic.ports import RequestServices

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


@cache
def fulfilment_services() -> FulfilmentServices:
    from privacydesk.dal.accounts import AccountDirectory
    from privacydesk.dal.export_grants import ExportGrants
    from privacydesk.dal.legal_holds import HoldRepository
    from privacydesk.dal.objections_store import ObjectionRegistry
    from privacydesk.dal.store_connectors import connector_for
    from privacydesk.datamap.adapters.external_connectors import external_connector_for
    from privacydesk.datamap.adapters.manual_connector import ManualAttachments
    from privacydesk.integrations.object_store import ExportBucket
    from privacydesk.logic.fulfilment_ports import FulfilmentServices
    from privacydesk.models.datamap import load_datamap

    return FulfilmentServices(
        requests=request_services(),
        datamap=load_datamap(),
        connector=connector_for,
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
    from privacydesk.logic.fulfilment_ports import FulfilmentServices

    base = fulfilment_services()
    return FulfilmentServices(**{**base.__dict__, "requests": fresh_services()})


class ActiveHolds:
    """The fulfilment view of the legal-hold store: is this account under a hold, and why."""

    def __init__(self, repository: Any) -> None:
        self.repository = repository

    def active_hold(self, account_id: str) -> HoldView | None:
        from privacydesk.logic.fulfilment_ports import HoldView

        hold = self.repository.get(account_id)
        return HoldView(account_id=account_id, reason=hold.reason) if hold else None


on_reload(fulfilment_services.cache_clear)
