"""The adapter between SES receiving events and email intake: one idempotent call per message.

SES stores the raw message under inbound/<messageId> (its S3 action) and then invokes the
function asynchronously (its Lambda action); it may deliver the same message twice. Each
message is processed once, keyed by its SES messageId (Powertools idempotency), so a second
delivery returns the first outcome and sends nothing again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from privacydesk.bootstrap import email_intake_ports, fresh_services
from privacydesk.email_intake.domain.email_trust import Verdicts
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.observability import logger, metrics
from privacydesk.kernel.settings import get_settings, on_reload

IDEMPOTENCY_SECONDS = 7 * 24 * 3600  # longer than Lambda's async retries (6 hours) and SES redelivery
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


def inbound_of(record: dict[str, Any]) -> dict[str, Any] | None:
    """The message an SES receiving record names (as the idempotency layer keys it), or None when
    the record is not one."""
    ses = record.get("ses") if isinstance(record, dict) else None
    mail = ses.get("mail") if isinstance(ses, dict) else None
    receipt = ses.get("receipt") if isinstance(ses, dict) else None
    message_id = mail.get("messageId") if isinstance(mail, dict) else None
    if not isinstance(message_id, str) or not _MESSAGE_ID.match(message_id):
        return None
    verdicts = Verdicts.of(receipt if isinstance(receipt, dict) else {})
    return {
        "message_id": message_id,
        "bucket": get_settings().inbound_bucket,
        "verdicts": {**verdicts.as_dict(), "dmarc_policy": verdicts.dmarc_policy},
    }


def _process(message: dict[str, Any]) -> dict[str, Any]:
    # The intake's domain loads with the first message, not at init: a cold start's import stays
    # at the libraries' floor (bench/cold_start.py), and its first message pays for what it uses.
    from privacydesk.email_intake.domain.email_intake import InboundMail, intake_email

    mail = InboundMail(
        message_id=message["message_id"],
        bucket=message["bucket"],
        verdicts=Verdicts(**message["verdicts"]),
    )
    outcome = intake_email(mail, now=utc_now(), services=fresh_services(), ports=email_intake_ports())
    return {"message_id": mail.message_id, **outcome}


@cache
def _idempotent() -> tuple[Callable[..., dict[str, Any]], Any]:
    """Powertools idempotency keyed by the SES messageId, built on first use (its import is heavy)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    store = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)
    config = IdempotencyConfig(event_key_jmespath="message_id", expires_after_seconds=IDEMPOTENCY_SECONDS)

    @idempotent_function(data_keyword_argument="message", persistence_store=store, config=config)
    def process_once(message: dict[str, Any]) -> dict[str, Any]:
        return _process(message)

    return process_once, config


on_reload(_idempotent.cache_clear)


def intake_records(event: dict[str, Any], context: Any) -> list[dict[str, Any]]:
    """Every record of the event, each accounted for: a request, a review entry, or a rejection."""
    process_once, config = _idempotent()
    config.register_lambda_context(context)
    records = event.get("Records") if isinstance(event, dict) else None
    results: list[dict[str, Any]] = []
    for record in records if isinstance(records, list) else []:
        message = inbound_of(record)
        if message is None:
            logger.warning("not an SES receiving record; rejected")
            results.append({"outcome": "rejected", "reason": "not_an_ses_record"})
            continue
        results.append(process_once(message=message))
    for result in results:
        # EmailIntakeRequest / EmailIntakeReview / EmailIntakeRejected: what the DPO's alarms watch.
        metrics.add_metric(name=f"EmailIntake{str(result['outcome']).title()}", unit=MetricUnit.Count, value=1)
    return results
