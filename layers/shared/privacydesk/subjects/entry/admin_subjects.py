"""Admin subject routes: legal holds and the objection (processing) registry.

A subject is named in the path by account id, email or E.164 phone.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.bootstrap import fulfilment_services
from privacydesk.datamap.domain.model import load_datamap
from privacydesk.kernel.admin_http import signed_caller
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.errors import NotFound
from privacydesk.kernel.observability import logger
from privacydesk.requests.domain.api_model import ReasonBody
from privacydesk.requests.domain.audit_trail import verify_chain
from privacydesk.subjects.domain import legal_hold, objections
from privacydesk.subjects.domain.subjects import resolve_identifier

router = APIGatewayHttpRouter()


def actor() -> str:
    return signed_caller(router.current_event)


def _account_of(subject_id: str) -> str:
    ids = resolve_identifier(subject_id, fulfilment_services().accounts)
    if not ids.account_id or fulfilment_services().accounts.by_id(ids.account_id) is None:
        raise NotFound("no registered account for this subject", code="subject_not_found")
    return ids.account_id


def _holds() -> legal_hold.HoldRepository:
    from privacydesk.subjects.adapters.legal_holds import HoldRepository

    return HoldRepository()


def _items() -> legal_hold.SubjectItems:
    from privacydesk.subjects.adapters.legal_holds import SubjectItems

    return SubjectItems()


def _hold_view(hold: legal_hold.Hold | None, account_id: str) -> dict[str, Any]:
    """The hold in force, if any, and every hold placed or lifted, with the trail's chain check."""
    from privacydesk.audit.domain.trail import subject_stream
    from privacydesk.subjects.adapters.legal_holds import HoldRepository

    history = HoldRepository().history(account_id)
    current = None
    if hold is not None:
        current = {
            "reason": hold.reason,
            "set_at": hold.set_at.isoformat(),
            "request_id": hold.request_id,
            "set_by": hold.set_by,
        }
    return {
        "account_id": account_id,
        "hold": current,
        "history": [event.model_dump(mode="json") for event in history],
        "history_chain": verify_chain(subject_stream(account_id), history).model_dump(mode="json"),
    }


@router.get(
    "/v1/admin/subjects/<subject_id>/processing",
    summary="Which purposes the subject objected to; other services ask before they process",
)
def processing(subject_id: str) -> dict[str, Any]:
    services = fulfilment_services()
    status = objections.status_of(subject_id, registry=services.objections, accounts=services.accounts)
    return {
        "subject_ref": status.subject_ref,
        "registered_account": status.registered_account,
        "purposes": {
            purpose: {
                "allowed": status.allowed(purpose),
                "objected_at": found.at.isoformat() if found and found.objected else None,
                "request_id": found.request_id if found else None,
            }
            for purpose, found in status.purposes.items()
        },
    }


@router.get("/v1/admin/subjects/<subject_id>/hold", summary="The subject's legal hold, if any")
def get_hold(subject_id: str) -> dict[str, Any]:
    account_id = _account_of(subject_id)
    return _hold_view(_holds().get(account_id), account_id)


@router.post(
    "/v1/admin/subjects/<subject_id>/hold",
    summary="Place a legal hold (blocks erasure and retention of the subject's data)",
)
def set_hold(subject_id: str, body: ReasonBody) -> dict[str, Any]:
    account_id = _account_of(subject_id)
    holds = _holds()
    change = legal_hold.set_hold(
        account_id, body.reason, now=utc_now(), datamap=load_datamap(), holds=holds, items=_items(), actor=actor()
    )
    logger.info(
        "legal hold set",
        extra={"account_id": account_id, "by": actor(), "items": change.items},
    )
    return {**_hold_view(holds.get(account_id), account_id), "ttl_stripped": change.items}


@router.delete("/v1/admin/subjects/<subject_id>/hold", summary="Lift the subject's legal hold")
def clear_hold(subject_id: str) -> dict[str, Any]:
    account_id = _account_of(subject_id)
    change = legal_hold.clear_hold(
        account_id, now=utc_now(), datamap=load_datamap(), holds=_holds(), items=_items(), actor=actor()
    )
    logger.info(
        "legal hold cleared",
        extra={"account_id": account_id, "by": actor(), "items": change.items},
    )
    return {**_hold_view(None, account_id), "ttl_restored": change.items}
