"""Domain events onto the EventBridge bus, behind a small port."""

from __future__ import annotations

from privacydesk.kernel.aws import client
from privacydesk.kernel.events import SOURCE, DomainEvent
from privacydesk.kernel.settings import get_settings


class EventBridgePublisher:
    def publish(self, *events: DomainEvent) -> None:
        bus = get_settings().event_bus_name
        entries = [
            {"Source": SOURCE, "DetailType": e.detail_type, "Detail": e.model_dump_json(), "EventBusName": bus}
            for e in events
        ]
        for start in range(0, len(entries), 10):  # PutEvents takes at most 10 entries
            reply = client("events").put_events(Entries=entries[start : start + 10])
            if reply.get("FailedEntryCount"):
                raise RuntimeError(f"{reply['FailedEntryCount']} events were not accepted by the bus")
