"""Configuration read from the function's environment (set by template.yaml)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    requests_table: str = "privacydesk-requests"
    audit_table: str = "privacydesk-audit"
    outbox_table: str = "privacydesk-outbox"  # consequences of request changes (requests.outbox)
    policy_table: str = "privacydesk-policy"
    delivery_ledger_table: str = "privacydesk-delivery-ledger"
    tokens_table: str = "privacydesk-tokens"
    idempotency_table: str = "privacydesk-idempotency"
    review_table: str = "privacydesk-review"
    subject_preferences_table: str = "privacydesk-subject-preferences"
    # The data map's stores (accounts, message logs, ...) are not here: each names its own variable
    # in data/datamap.yaml (datamap/adapters/locations.py reads it).
    export_link_days: int = 7
    fulfilment_max_attempts: int = 3
    subject_holds_table: str = "privacydesk-subject-holds"
    retention_checkpoints_table: str = "privacydesk-retention-checkpoints"
    processor_notices_table: str = "privacydesk-processor-notices"  # [issue 20] processors.adapters.notice_store
    # "store=days,store=days": shortens or lengthens a store's retention without a data-map change
    retention_overrides: str = ""
    retention_lookback_days: int = 7  # where a first sweep starts (no checkpoint yet)
    retention_continuation_queue_url: str = ""  # where an unfinished sweep sends its next step
    inbound_bucket: str = "privacydesk-inbound"
    export_bucket: str = "privacydesk-exports"
    event_bus_name: str = "privacydesk"
    sender_email: str = "privacy@example.com"
    dpo_email: str = "dpo@example.com"
    public_base_url: str = ""  # the PublicBaseUrl parameter; empty: the HTTP API's own URL
    api_base_url: str = ""  # the HTTP API's own URL (template: !Sub https://${HttpApi}.execute-api...)
    unverified_expiry_days: int = 14
    # [issue 6] significant-change emails
    notice_queue_url: str = ""
    notice_configuration_set: str = ""
    notice_max_send_rate: int = 14  # emails per second across every sender (SES's starting quota)
    suppression_table: str = "privacydesk-suppression"
    rate_limits_table: str = "privacydesk-rate-limits"
    notice_ledger_retention_days: int = 1095
    aws_region: str = "ap-southeast-1"
    # Powertools' variables, read when metrics are written (see kernel/observability.py); the code defaults
    # (template.yaml's values) keep a metric writable whatever the environment holds.
    powertools_metrics_namespace: str = "PrivacyDesk"
    powertools_service_name: str = "privacydesk"  # the "service" dimension the alarms expect
    # [issue 20] the company's own service (a data-map store of kind webhook): base URL, and the
    # Secrets Manager id of its signing keys (never the secret itself)
    webhook_endpoint_url: str = ""
    webhook_secret_id: str = ""
    contact_email: str = ""  # "Contact Us" on /privacy; empty: SENDER_EMAIL, where requests by email go

    @property
    def company_contact_email(self) -> str:
        return self.contact_email or self.sender_email

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = env.get(field.name.upper())
            if field.name == "aws_region":
                raw = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
            if raw is None or raw == "":
                continue
            values[field.name] = int(raw) if field.type in ("int", int) else raw
        return cls(**values)  # type: ignore[arg-type]


def link_base_url(request_host: str | None = None) -> str:
    """Where every link in an email or header points: the one place that decides it.

    PUBLIC_BASE_URL when set; else the host of the HTTP call being answered (an API function cannot
    name its own API in the template without a circular reference); else the HTTP API's own URL
    (API_BASE_URL, which the template gives the functions that mail links outside an HTTP call).
    API Gateway serves https only; a loopback host is the local stand-in, which serves http.
    """
    settings = get_settings()
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    if request_host:
        loopback = request_host.split(":", 1)[0] in ("127.0.0.1", "localhost")
        return f"{'http' if loopback else 'https'}://{request_host}"
    return settings.api_base_url.rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environ()


_reload_hooks: list[Callable[[], None]] = []


def on_reload(hook: Callable[[], None]) -> None:
    """Register a cache to drop when the environment is re-read (modules that cache clients)."""
    _reload_hooks.append(hook)


def reload_settings() -> Settings:
    """Re-read the environment (tests and the local stand-in rebind after provisioning)."""
    get_settings.cache_clear()
    for hook in _reload_hooks:
        hook()
    return get_settings()
