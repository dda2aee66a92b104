"""Configuration read from the function's environment (set by template.yaml).

Names of resources (tables, buckets, queues, the bus) have no default: a function reads only the
ones the template gives it, and reading one it was not given raises `MissingSetting` naming the
variable, instead of silently talking to a table called "privacydesk-requests". Each function also
checks, at cold start, that its whole configuration is there (`privacydesk.kernel.function_config`).
Tunables (days, rates, attempts) keep the defaults the template documents.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from types import MappingProxyType
from typing import overload


class MissingSetting(RuntimeError):
    """The code read a variable the function's template entry does not give it."""

    def __init__(self, variable: str) -> None:
        super().__init__(
            f"{variable} is not set: template.yaml does not give this function that variable "
            "(add it to the function's Environment and to its model in privacydesk.kernel.function_config)"
        )
        self.variable = variable


class _Required:
    """A resource name the template must give; reading it unset raises MissingSetting."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.variable = name.upper()

    @overload
    def __get__(self, instance: None, owner: type) -> _Required: ...

    @overload
    def __get__(self, instance: Settings, owner: type) -> str: ...

    def __get__(self, instance: Settings | None, owner: type) -> _Required | str:
        if instance is None:
            return self
        value = instance.names.get(self.variable, "")
        if not value:
            raise MissingSetting(self.variable)
        return value


@dataclass(frozen=True)
class Settings:
    # The resource names found in the environment, by variable (read through the attributes below).
    names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    requests_table = _Required()
    audit_table = _Required()
    outbox_table = _Required()  # consequences of request changes (requests.outbox)
    policy_table = _Required()
    delivery_ledger_table = _Required()
    tokens_table = _Required()
    idempotency_table = _Required()
    review_table = _Required()
    subject_preferences_table = _Required()
    subject_holds_table = _Required()
    retention_checkpoints_table = _Required()
    retention_continuation_queue_url = _Required()  # where an unfinished sweep sends its next step
    inbound_bucket = _Required()
    export_bucket = _Required()
    event_bus_name = _Required()
    notice_queue_url = _Required()
    suppression_table = _Required()
    rate_limits_table = _Required()
    processor_notices_table = _Required()  # processors.adapters.notice_store
    # The data map's stores (accounts, message logs, ...) are not here: each names its own variable
    # in data/datamap.yaml (datamap/adapters/locations.py reads it).

    export_link_days: int = 7
    fulfilment_max_attempts: int = 3
    # "store=days,store=days": shortens or lengthens a store's retention without a data-map change
    retention_overrides: str = ""
    retention_lookback_days: int = 7  # where a first sweep starts (no checkpoint yet)
    sender_email: str = "privacy@example.com"
    dpo_email: str = "dpo@example.com"
    public_base_url: str = ""  # the PublicBaseUrl parameter; empty: the HTTP API's own URL
    api_base_url: str = ""  # the HTTP API's own URL (template: !Sub https://${HttpApi}.execute-api...)
    unverified_expiry_days: int = 14
    notice_configuration_set: str = ""
    notice_max_send_rate: int = 14  # emails per second across every sender (SES's starting quota)
    notice_ledger_retention_days: int = 1095
    aws_region: str = "ap-southeast-1"
    # Powertools' variables, read when metrics are written (see kernel/observability.py); the code defaults
    # (template.yaml's values) keep a metric writable whatever the environment holds.
    powertools_metrics_namespace: str = "PrivacyDesk"
    powertools_service_name: str = "privacydesk"  # the "service" dimension the alarms expect
    # The data map this deployment uses (the DataMapFile parameter): one of the layer's data/datamap*.yaml.
    # A webhook store's URL and signing-key secret come in its own variables (datamap/domain/model.py).
    datamap_file: str = "datamap.yaml"
    contact_email: str = ""  # "Contact Us" on /privacy; empty: SENDER_EMAIL, where requests by email go

    @property
    def company_contact_email(self) -> str:
        return self.contact_email or self.sender_email

    @classmethod
    def required_variables(cls) -> tuple[str, ...]:
        """Every resource-name variable (REQUESTS_TABLE, ...): no default, given per function."""
        return tuple(value.variable for value in vars(cls).values() if isinstance(value, _Required))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        names = {variable: env[variable] for variable in cls.required_variables() if env.get(variable)}
        values: dict[str, object] = {}
        for setting in fields(cls):
            if setting.name == "names":
                continue
            raw = env.get(setting.name.upper())
            if setting.name == "aws_region":
                raw = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
            if raw is None or raw == "":
                continue
            values[setting.name] = int(raw) if setting.type in ("int", int) else raw
        return cls(names=MappingProxyType(names), **values)  # type: ignore[arg-type]


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
