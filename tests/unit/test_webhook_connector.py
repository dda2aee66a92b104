"""The webhook connector refuses what it must before anything leaves the function."""

from __future__ import annotations

import pytest

from privacydesk.datamap.domain.model import Store
from privacydesk.fulfilment.adapters.webhook_connector import WebhookConnector
from privacydesk.fulfilment.domain.pending_steps import ExternalStepError
from privacydesk.fulfilment.domain.webhook_signing import KeyRing, SigningKey
from privacydesk.subjects.domain.subjects import SubjectIds
from tests.unit.test_pending_steps import step, waiting

STORE = Store.model_validate(
    {
        "name": "billing_service",
        "kind": "webhook",
        "category": "account",
        "description": "Invoices.",
        "service": {"env": "BILLING_SERVICE", "parameter": "BillingService"},
        "lookups": [],
        "fields": ["invoice_id", "created_at"],
        "erasure": {"method": "delete"},
        "retention": {"period_days": 365, "legal_basis": "contract", "reason": "billing"},
        "legal_basis": "contract",
    }
)


def test_a_plain_http_endpoint_outside_loopback_is_never_called():
    connector = WebhookConnector(STORE, keys=lambda: KeyRing(SigningKey("k1", "s")))
    connector.endpoint = "http://billing.example.com"
    with pytest.raises(ExternalStepError) as refused:
        connector.call("erase", waiting(step("billing_service", "webhook")), SubjectIds("acct-1"), "req_1:b:erase")
    assert refused.value.reason == "the endpoint must use https"
