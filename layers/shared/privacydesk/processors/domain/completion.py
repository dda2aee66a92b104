"""Processors told when the DPO completes an Update or Delete by hand (GDPR Art. 19).

Fulfilment decides from what it touched in each store (`decision.processors_to_notify`). A DPO who
completes a request by hand (`POST /v1/admin/requests/{id}/complete`, `privacydesk requests complete`)
says it was carried out; stores fulfilment did not record are taken as touched (every field of them
for a Delete, the corrected fields for an Update), since the DPO's own work is not itemised. The
decision joins the request's outcome and the notices commit with the completion, exactly as after
fulfilment: the requester's completion notice names the processors told, the DPO tracks each one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from privacydesk.processors.domain.decision import ACTION_OF, processors_to_notify
from privacydesk.processors.domain.model import ProcessorMap
from privacydesk.processors.domain.notices import notice_items, proven_identifiers
from privacydesk.requests.domain.model import PrivacyRequest, RequestType
from privacydesk.requests.domain.outbox import OutboxItem


def _as_if_carried_out(request: PrivacyRequest, processors: ProcessorMap) -> dict[str, Any]:
    """The outcome with every store a processor receives from counted as touched, where fulfilment
    recorded nothing for it."""
    outcome = dict(request.outcome)
    stores: dict[str, Any] = dict(outcome.get("stores") or {})  # what fulfilment did (0: found nothing)
    received = {r.store for processor in processors.processors for r in processor.receives}
    for store in sorted(received - set(stores)):
        stores[store] = {"deleted": 1} if request.type == RequestType.DELETE else 1
    fields = sorted(set(outcome.get("fields") or []) | set(request.corrections))
    return {**outcome, "stores": stores, "fields": fields}


def told_on_manual_completion(
    request: PrivacyRequest, processors: ProcessorMap
) -> tuple[dict[str, Any], Callable[[PrivacyRequest], list[OutboxItem]] | None]:
    """(what to add to the outcome, the notices to commit with the completion) for a request the DPO
    completes by hand; nothing for a request type no processor is told of."""
    if request.type not in ACTION_OF:
        return {}, None
    decided = processors_to_notify(
        processors, request.type, _as_if_carried_out(request, processors), set(proven_identifiers(request))
    )
    if not decided:
        return {}, None

    def notices(completed: PrivacyRequest) -> list[OutboxItem]:
        return notice_items(completed, processors)

    return {"processors": decided}, notices
