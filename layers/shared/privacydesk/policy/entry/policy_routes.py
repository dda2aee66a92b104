"""Public policy routes: the policy in force, its versions, a diff between two, and the active notices."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.kernel.clock import utc_now
from privacydesk.policy.adapters.policy_store import PolicyRepository
from privacydesk.policy.domain import policy
from privacydesk.policy.domain.model import (
    VERSION_ID_PATTERN,
    Notice,
    PolicyDiff,
    PolicyView,
    VersionDetail,
    VersionSummary,
)

router = APIGatewayHttpRouter()
policies = PolicyRepository()

VersionId = Annotated[str, Path(pattern=VERSION_ID_PATTERN, description="A policy version id.")]


@router.get("/v1/policy", summary="The privacy policy in force, with its active notices")
def get_policy() -> PolicyView:
    return policy.current_policy(policies, utc_now())


@router.get("/v1/policy/versions", summary="Every published version, upcoming ones included, newest first")
def list_versions() -> list[VersionSummary]:
    return policy.list_versions(policies, utc_now())


@router.get("/v1/policy/versions/<version>", summary="One policy version with its full text")
def get_version(version: VersionId) -> VersionDetail:
    return policy.version_detail(policies, version, utc_now())


@router.get("/v1/policy/diff", summary="What changed between two versions, section by section")
def diff_versions(
    from_version: Annotated[str, Query(alias="from", pattern=VERSION_ID_PATTERN, description="The older version.")],
    to_version: Annotated[
        str | None, Query(alias="to", pattern=VERSION_ID_PATTERN, description="The newer version (default: current).")
    ] = None,
) -> PolicyDiff:
    return policy.diff_versions(policies, from_version, to_version, utc_now())


@router.get("/v1/notices", summary="The notices shown now (banners), most severe first")
def list_active_notices() -> list[Notice]:
    return policy.current_notices(policies, utc_now())
