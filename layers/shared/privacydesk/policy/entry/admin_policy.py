"""Admin policy routes: publish versions and manage notices (the fan-out's progress lives with it)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.observability import logger
from privacydesk.policy.adapters.policy_store import PolicyRepository
from privacydesk.policy.domain import policy
from privacydesk.policy.domain.model import (
    NOTICE_ID_PATTERN,
    Notice,
    NoticeDraft,
    NoticeFields,
    PolicyDraft,
    PolicyVersion,
)

router = APIGatewayHttpRouter()
policies = PolicyRepository()

NoticeId = Annotated[str, Path(pattern=NOTICE_ID_PATTERN, description="A notice id.")]


@router.post(
    "/v1/admin/policy/versions",
    summary="Publish a policy version (immutable; the same content again is a replay)",
    responses={201: {"description": "Published"}, 200: {"description": "Already published with this content"}},
)
def publish_version(draft: PolicyDraft) -> tuple[PolicyVersion, int]:
    version, created = policy.publish(draft, utc_now(), policies)
    logger.info("policy version published", extra={"policy_version": version.version, "newly_published": created})
    return version, 201 if created else 200


@router.get("/v1/admin/notices", summary="Every notice, past and future included")
def list_notices() -> list[Notice]:
    return policy.list_notices(policies)


@router.post(
    "/v1/admin/notices",
    summary="Create a notice (banner); with a notice_id, the same notice again is a replay",
    responses={201: {"description": "Created"}, 200: {"description": "Already created with this content"}},
)
def create_notice(draft: NoticeDraft) -> tuple[Notice, int]:
    notice, created = policy.create_notice(draft, policies)
    logger.info("notice created", extra={"notice_id": notice.notice_id, "newly_created": created})
    return notice, 201 if created else 200


@router.get("/v1/admin/notices/<notice_id>", summary="One notice")
def get_notice(notice_id: NoticeId) -> Notice:
    return policy.get_notice(notice_id, policies)


@router.put("/v1/admin/notices/<notice_id>", summary="Replace a notice's text, severity and window")
def update_notice(notice_id: NoticeId, fields: NoticeFields) -> Notice:
    notice = policy.update_notice(notice_id, fields, policies)
    logger.info("notice updated", extra={"notice_id": notice_id})
    return notice


@router.delete("/v1/admin/notices/<notice_id>", summary="Delete a notice")
def delete_notice(notice_id: NoticeId) -> Response[Any]:
    policy.delete_notice(notice_id, policies)
    logger.info("notice deleted", extra={"notice_id": notice_id})
    return Response(status_code=204, body="")
