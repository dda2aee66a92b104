"""The connector of each external kind of store (issue 20): fulfilment calls these for stores it
cannot read itself. The kinds PrivacyDesk reads (dynamodb, s3) are in datamap.adapters.store_connectors."""

from __future__ import annotations

from privacydesk.datamap.domain.model import Store
from privacydesk.fulfilment.adapters.manual_connector import ManualConnector
from privacydesk.fulfilment.adapters.webhook_connector import WebhookConnector
from privacydesk.fulfilment.domain.pending_steps import ExternalConnector

EXTERNAL_CONNECTORS: dict[str, type[WebhookConnector] | type[ManualConnector]] = {
    "webhook": WebhookConnector,
    "manual": ManualConnector,
}


def external_connector_for(store: Store) -> ExternalConnector:
    return EXTERNAL_CONNECTORS[store.kind](store)
