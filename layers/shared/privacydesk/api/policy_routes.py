"""Public policy routes: the policy in force, its versions, and the active notices."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.clock import utc_now
from privacydesk.dal.policy_store import PolicyRepository
from privacydesk.logic import policy
from privacydesk.models.policy import PolicyView

router = APIGatewayHttpRouter()
policies = PolicyRepository()


@router.get("/v1/policy", summary="The privacy policy in force, with its active notices")
def get_policy() -> PolicyView:
    return policy.current_policy(policies, utc_now())
