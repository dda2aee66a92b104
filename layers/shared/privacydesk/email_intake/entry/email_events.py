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

from privacydesk.bootstrap import fresh_services
from privacydesk.datamap.adapters.accounts import AccountDirectory
from privacydesk.email_intake.adapters.review_queue import ReviewRepository
from privacydesk.email_intake.domain.email_intake import EmailPorts, InboundMail, intake_email
from privacydesk.email_intake.domain.email_trust import Verdicts
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.object_store import S3ObjectStore
from privacydesk.kernel.observability import logger, metrics
from privacydesk.kernel.settings import get_settings, on_reload

IDEMPOTENCY_SECONDS = 7 * 24 * 3600  # longer than Lambda's async retries (6 hours) and SES redelivery
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


def inbound_of(record: dict[str, Any]) -> InboundMail | None:
    """The message an SES receiving record names, or None when the record is not one."""
    ses = record.get("ses") if isinstance(record, dict) else None
    mail = ses.get("mail") if isinstance(ses, dict) else None
    receipt = ses.get("receipt") if isinstance(ses, dict) else None
    message_id = mail.get("messageId") if isinstance(mail, dict) else None
    if not isinstance(message_id, str) or not _MESSAGE_ID.match(message_id):
        return None
    return InboundMail(
        message_id=message_id,
        bucket=get_settings().inbound_bucket,
        verdicts=Verdicts.of(receipt if isinstance(receipt, dict) else {}),
    )


def _process(message: dict[str, Any]) -> dict[str, Any]:
    services = fresh_services()
    mail = InboundMail(
        message_id=message["message_id"],
        bucket=message["bucket"],
        verdicts=Verdicts(**message["verdicts"]),
    )
    ports = EmailPorts(objects=S3ObjectStore(), accounts=AccountDirectory(), review=ReviewRepository())
    return {"message_id": mail.message_id, **intake_email(mail, now=utc_now(), services=services, ports=ports)}


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
        mail = inbound_of(record)
        if mail is None:
            logger.warning("not an SES receiving record; rejected")
            results.append({"outcome": "rejected", "reason": "not_an_ses_record"})
            continue
        verdicts = {**mail.verdicts.as_dict(), "dmarc_policy": mail.verdicts.dmarc_policy}
        results.append(
            process_once(message={"message_id": mail.message_id, "bucket": mail.bucket, "verdicts": verdicts})
        )
    for result in results:
        # EmailIntakeRequest / EmailIntakeReview / EmailIntakeRejected: what the DPO's alarms watch.
        metrics.add_metric(name=f"EmailIntake{str(result['outcome']).title()}", unit=MetricUnit.Count, value=1)
    return results
