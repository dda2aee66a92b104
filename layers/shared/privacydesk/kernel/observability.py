"""Logger and Metrics singletons shared by every function.

No Tracer: X-Ray is off in template.yaml (`Tracing: Disabled`). Powertools' Tracer imports the X-Ray
SDK even when disabled, about 150 ms of CPU at every cold start (as much as `import boto3`), the SDK
is not in the Lambda runtime, and HTTP APIs do not pass traces on. Logs carry the correlation and
request ids instead; metric units are `MetricUnit.Count` throughout.

Logs carry ids only, never emails, phones or names (see SECURITY.md). Code must not log them in
the first place; `RedactingFormatter` is the last line of defence for what slips through anyway
(an exception message that echoes input, a third-party library's log line): every log line is
scrubbed of email addresses and phone numbers before it leaves the process. The tests fail when
a redaction marker shows up in the logs (`tests/support/pii.py`), so a leak is fixed at its source.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from privacydesk.kernel.settings import get_settings

EMAIL_MARKER = "[email redacted]"
PHONE_MARKER = "[phone redacted]"
REDACTION_MARKERS = (EMAIL_MARKER, PHONE_MARKER)

# Addresses as people write them (RFC 5322's dot-atom, which is what email-validator accepts).
EMAIL_PATTERN = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
# E.164 (+ and 8 to 15 digits, optionally grouped by spaces or dashes), and Philippine national
# mobiles (09xx xxx xxxx), each ending where a word ends. ISO timestamps ("+08:00") and our ids do
# not match, nor a hex id that happens to start with "09" and ten more digits.
PHONE_PATTERN = re.compile(r"\+[1-9](?:[ -]?\d){7,14}(?!\w)|(?<![\w-])09\d{2}[ -]?\d{3}[ -]?\d{4}(?!\w)")


def redact(text: str) -> str:
    """Replace every email address and phone number in `text` with a marker."""
    return PHONE_PATTERN.sub(PHONE_MARKER, EMAIL_PATTERN.sub(EMAIL_MARKER, text))


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter that scrubs the whole serialized line (message, extra keys,
    exception text and stack trace alike)."""

    def serialize(self, log: Any) -> str:
        return redact(super().serialize(log))


def metrics_namespace() -> str:
    """The function's metric namespace (template.yaml's POWERTOOLS_METRICS_NAMESPACE), never empty."""
    return get_settings().powertools_metrics_namespace


class FunctionMetricsProvider(AmazonCloudWatchEMFProvider):
    """Powertools' EMF provider, made safe to create at import.

    `Metrics()` reads its namespace from the environment when it is created, which is at import:
    a process that imports the package before the function's environment is applied had no
    namespace, the first flush raised SchemaValidationError, and the unflushed metrics stayed in the
    shared set, failing every later flush. Here the namespace is read from the function's
    configuration at each flush, and a flush that fails still empties the set, so one bad invocation
    can never poison the next.
    """

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        self.namespace = metrics_namespace()
        self.service = get_settings().powertools_service_name
        try:
            super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)
        finally:
            self.clear_metrics()


def ephemeral_metrics() -> AmazonCloudWatchEMFProvider:
    """A metric set of its own (one EMF record per call site), in the function's namespace."""
    return FunctionMetricsProvider(namespace=metrics_namespace(), service=get_settings().powertools_service_name)


logger = Logger(service=get_settings().powertools_service_name, logger_formatter=RedactingFormatter())
metrics = Metrics(provider=FunctionMetricsProvider())
