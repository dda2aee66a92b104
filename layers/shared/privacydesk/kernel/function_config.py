"""Each function's configuration: the variables template.yaml gives it, checked at cold start.

One small model per function names every variable that function reads, and nothing else: a
function fails at import with one clear message naming what is missing, instead of at its first
call with a table called "privacydesk-requests". `tests/unit/test_function_config.py` holds each
function's template environment (Globals plus its own) against its model, both ways: nothing
missing, nothing given that the model does not declare.

Resource names have no default. Values that may be empty on purpose (PUBLIC_BASE_URL: use the
API's own URL; RETENTION_OVERRIDES: the data map as it is) must still be declared by the template.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from importlib import resources
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# A name (table, bucket, queue, bus, address) or tunable the template must give, never empty.
Name = Annotated[str, Field(min_length=1)]
# A value the template must declare, where empty has a documented meaning.
MayBeEmpty = str
Positive = Annotated[int, Field(gt=0)]


def shipped_datamap_files() -> list[str]:
    """The layer's data maps (data/datamap*.yaml) by name: the kernel reads the folder, not the
    capability that parses them (privacydesk.datamap), so a cold start pays no YAML for this check."""
    folder = resources.files("privacydesk") / "data"
    return sorted(entry.name for entry in folder.iterdir() if re.match(r"^datamap(\.[a-z0-9-]+)?\.yaml$", entry.name))


class FunctionConfigError(RuntimeError):
    """A function's environment does not hold its configuration (raised at cold start)."""


class FunctionConfig(BaseModel):
    """What Globals gives every function: Powertools' settings and the local-only AWS endpoint."""

    # Built on first validation: each function validates only its own model, so a cold start
    # pays for one schema, not one per function.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    powertools_service_name: Name
    powertools_log_level: Name
    powertools_metrics_namespace: Name
    pydantic_disable_plugins: Name
    # Declared in Globals so `sam local invoke --env-vars` may set it; absent on AWS.
    aws_endpoint_url: str | None = None
    # The data map this stack was deployed with (the DataMapFile parameter): a file the layer ships.
    datamap_file: Name

    @field_validator("datamap_file")
    @classmethod
    def _shipped_datamap(cls, value: str) -> str:
        shipped = shipped_datamap_files()
        if value not in shipped:
            raise ValueError(f"no data map {value!r} in the layer (data/): choose one of {', '.join(shipped)}")
        return value

    @classmethod
    def variables(cls) -> frozenset[str]:
        """The environment variables this model reads (upper-cased field names)."""
        return frozenset(name.upper() for name in cls.model_fields)

    @classmethod
    def required_variables(cls) -> frozenset[str]:
        return frozenset(name.upper() for name, field in cls.model_fields.items() if field.is_required())

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Self:
        """The function's configuration, or FunctionConfigError naming every missing or bad variable."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {name: env[name.upper()] for name in cls.model_fields if name.upper() in env}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in issue['loc']).upper()}: {issue['msg']}" for issue in error.errors()
            )
            raise FunctionConfigError(
                f"{cls.__name__}: the function's environment is incomplete ({problems}). "
                "template.yaml gives each function its variables (Environment)."
            ) from None


class PublicApiConfig(FunctionConfig):
    processor_notices_table: Name
    requests_table: Name
    audit_table: Name
    outbox_table: Name
    policy_table: Name
    tokens_table: Name
    idempotency_table: Name
    export_bucket: Name
    sender_email: Name
    public_base_url: MayBeEmpty
    unverified_expiry_days: Positive


class AdminApiConfig(FunctionConfig):
    export_bucket: Name  # manual-step attachments
    processor_notices_table: Name
    requests_table: Name
    audit_table: Name
    outbox_table: Name
    policy_table: Name
    tokens_table: Name
    delivery_ledger_table: Name
    review_table: Name
    subject_preferences_table: Name
    subject_holds_table: Name
    # A legal hold strips, and its release restores, the TTL of a subject's items in every store.
    retention_overrides: MayBeEmpty
    sender_email: Name
    public_base_url: MayBeEmpty
    unverified_expiry_days: Positive
    export_link_days: Positive  # a link the DPO reissues lives as long as fulfilment's


class EmailIntakeConfig(FunctionConfig):
    requests_table: Name
    audit_table: Name
    outbox_table: Name
    policy_table: Name
    tokens_table: Name
    idempotency_table: Name
    accounts_table: Name
    review_table: Name
    inbound_bucket: Name
    sender_email: Name
    public_base_url: MayBeEmpty
    api_base_url: Name  # links in replies to mail, which has no HTTP host to point at
    unverified_expiry_days: Positive


class FulfilmentConfig(FunctionConfig):
    requests_table: Name
    audit_table: Name
    outbox_table: Name
    tokens_table: Name
    subject_preferences_table: Name
    subject_holds_table: Name
    # The data map's stores, each carried out by fulfilment.
    export_bucket: Name
    sender_email: Name
    public_base_url: MayBeEmpty
    api_base_url: Name
    unverified_expiry_days: Positive
    fulfilment_max_attempts: Positive  # equals the queue's maxReceiveCount
    export_link_days: Positive


class NoticeDispatchConfig(FunctionConfig):
    accounts_table: Name
    delivery_ledger_table: Name
    event_bus_name: Name
    notice_queue_url: Name


class NoticeSenderConfig(FunctionConfig):
    accounts_table: Name
    delivery_ledger_table: Name
    policy_table: Name
    rate_limits_table: Name
    suppression_table: Name
    notice_configuration_set: Name
    notice_max_send_rate: Positive
    sender_email: Name
    public_base_url: MayBeEmpty
    api_base_url: Name


class SesFeedbackConfig(FunctionConfig):
    delivery_ledger_table: Name
    suppression_table: Name


class NoticeAcceptanceConfig(FunctionConfig):
    api_usage_table: Name
    delivery_ledger_table: Name
    policy_table: Name


class RetentionSweepConfig(FunctionConfig):
    audit_table: Name
    subject_holds_table: Name
    retention_checkpoints_table: Name
    retention_continuation_queue_url: Name
    retention_overrides: MayBeEmpty
    retention_lookback_days: Positive


class RetentionTtlAccountingConfig(FunctionConfig):
    # Stream records name their table: the names say which store a TTL deletion came from.
    audit_table: Name
    retention_overrides: MayBeEmpty


class DeadlineMonitorConfig(FunctionConfig):
    processor_notices_table: Name
    requests_table: Name
    audit_table: Name
    outbox_table: Name
    tokens_table: Name
    event_bus_name: Name
    sender_email: Name
    dpo_email: Name
    public_base_url: MayBeEmpty
    api_base_url: Name
    unverified_expiry_days: Positive


class RequestOutboxConfig(FunctionConfig):
    processor_notices_table: Name
    outbox_table: Name
    event_bus_name: Name
    sender_email: Name


# functions/<folder>/handler.py -> the model it validates at import.
CONFIG_OF_FUNCTION: dict[str, type[FunctionConfig]] = {
    "public_api": PublicApiConfig,
    "admin_api": AdminApiConfig,
    "email_intake": EmailIntakeConfig,
    "fulfilment": FulfilmentConfig,
    "notice_dispatch": NoticeDispatchConfig,
    "notice_sender": NoticeSenderConfig,
    "ses_feedback": SesFeedbackConfig,
    "notice_acceptance": NoticeAcceptanceConfig,
    "retention_sweep": RetentionSweepConfig,
    "retention_ttl_accounting": RetentionTtlAccountingConfig,
    "deadline_monitor": DeadlineMonitorConfig,
    "request_outbox": RequestOutboxConfig,
}
