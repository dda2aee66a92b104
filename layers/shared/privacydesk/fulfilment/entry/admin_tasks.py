"""The DPO's manual tasks (admin API): list the open ones, complete one with a note (and, for an
Access, an attachment that goes into the export). Completing the last pending step of a request
brings fulfilment back to finish it."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from privacydesk.bootstrap import fresh_services, request_services
from privacydesk.datamap.domain import model as datamap_model
from privacydesk.fulfilment.adapters.pending_steps_store import PendingStepsStore
from privacydesk.fulfilment.domain.pending_steps import StepOutcome, StepReplayed, resolve_step
from privacydesk.kernel.admin_http import signed_caller
from privacydesk.kernel.base_model import Model
from privacydesk.kernel.clock import utc_now
from privacydesk.kernel.errors import Conflict, InvalidInput, NotFound

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # Powertools routers are untyped


class Attachment(Model):
    file_name: str = Field(min_length=1, max_length=100)
    content_base64: str = Field(min_length=1, max_length=6_000_000)


class CompleteTaskBody(Model):
    note: str = Field(min_length=1, max_length=2000)
    records: int = Field(default=0, ge=0)  # how many records the DPO found, exported or erased
    attachment: Attachment | None = None


@router.get("/v1/admin/tasks", summary="Manual tasks: the open ones, or every one of a request")
def list_tasks(request_id: Annotated[str | None, Query(max_length=100)] = None) -> dict[str, Any]:
    store = PendingStepsStore(request_services().requests)
    now = utc_now()
    tasks = (
        store.tasks_of(request_id, datamap_model.load_datamap(), now)
        if request_id
        else store.open_tasks(datamap_model.load_datamap(), now)
    )
    return {"items": [task.model_dump(mode="json") for task in tasks]}


@router.post("/v1/admin/tasks/<request_id>/<store>/complete", summary="Complete a manual task, with a note")
def complete_task(request_id: str, store: str, body: CompleteTaskBody) -> dict[str, Any]:
    from privacydesk.fulfilment.adapters.manual_connector import ManualAttachments

    found = next((s for s in datamap_model.load_datamap().stores if s.name == store and s.kind == "manual"), None)
    if found is None:
        raise NotFound("no manual store of that name", code="store_not_found")
    services = fresh_services(router.current_event.request_context.domain_name)
    request = services.requests.require(request_id)
    result: dict[str, Any] = {"records": body.records}
    if body.attachment is not None:
        if request.type.value != "access":
            raise InvalidInput("only an Access task takes an attachment", code="attachment_not_expected")
        try:
            content = base64.b64decode(body.attachment.content_base64, validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidInput("content_base64 is not base64", code="bad_attachment") from error
        key = ManualAttachments().save(request_id, store, body.attachment.file_name, content)
        result["attachments"] = [key]
    try:
        done = StepOutcome(store, True, signed_caller(router.current_event), result=result, note=body.note)
        resolve_step(services, request_id, done, utc_now())
    except StepReplayed as error:
        raise Conflict("this task is already completed", code="task_already_completed") from error
    return {"task_id": f"{request_id}/{store}", "state": "closed"}
