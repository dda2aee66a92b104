"""Admin routes for the significant-change emails: delivery progress of a policy version."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.change_notices.adapters.delivery_ledger import DeliveryLedger
from privacydesk.change_notices.domain.model import DeliveryProgress
from privacydesk.change_notices.domain.notice_progress import summarize
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.errors import NotFound
from privacydesk.policy.adapters.policy_store import PolicyRepository

router = APIGatewayHttpRouter()
ledger = DeliveryLedger()
policies = PolicyRepository()


@router.get(
    "/v1/admin/policy/versions/<version>/deliveries",
    summary="Delivery progress of a version's change notices: queued, sent, bounced, suppressed, failed, accepted",
)
def get_deliveries(version: Annotated[str, Path(min_length=1, max_length=64)]) -> DeliveryProgress:
    if policies.get_version(version) is None:
        raise NotFound(f"policy version {version} does not exist", code="version_not_found")
    return summarize(version, ledger.get_run(version), ledger.entries(version), utc_now())
