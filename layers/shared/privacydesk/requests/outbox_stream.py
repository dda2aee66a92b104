"""The outbox table's stream adapter: one inserted outbox item -> one delivery (requests.outbox).

Only INSERT records carry work (the event source filters on them too); the claim and delivered
marks are MODIFY records of the same table and are ignored here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from privacydesk.clock import utc_now
from privacydesk.observability import logger
from privacydesk.requests.outbox import OutboxPorts, deliver
from privacydesk.settings import on_reload


@lru_cache(maxsize=1)
def outbox_ports() -> OutboxPorts:
    from privacydesk.dal.outbox import OutboxClaims
    from privacydesk.integrations.event_bus import EventBridgePublisher
    from privacydesk.integrations.mailer import SesMailer
    from privacydesk.integrations.sms import SnsSmsSender
    from privacydesk.processors.entry.delivery import processor_notice_sender

    mailer = SesMailer()
    return OutboxPorts(
        claims=OutboxClaims(),
        events=EventBridgePublisher(),
        mailer=mailer,
        sms=SnsSmsSender(),
        processors=processor_notice_sender(mailer),
    )


on_reload(outbox_ports.cache_clear)


def handle_stream_record(
    event_name: str | None, new_image: dict[str, Any] | None
) -> Literal["delivered", "already_delivered", "ignored"]:
    if event_name != "INSERT" or not new_image:
        return "ignored"
    from privacydesk.dal.outbox import item_of_image

    item = item_of_image(new_image)
    outcome = deliver(item, now=utc_now(), ports=outbox_ports())
    logger.info(
        "outbox item handled",
        extra={"outbox_id": item.outbox_id, "kind": item.kind, "notice": item.notice, "outcome": outcome},
    )
    return outcome
