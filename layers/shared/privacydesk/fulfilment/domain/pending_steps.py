"""External steps of a request (issue 20): a store of kind `webhook` (a company service) or `manual`
(a task for the DPO) that fulfilment cannot finish by itself, and that may still be pending.

Each external store gets one step per request, kept in the request's outcome under "external_steps"
(so it changes with the request, audited, in one conditional write). A step is:
- pending: the service answered 202 and will call back, or the DPO's task is open;
- resolved: the callback came (or the task was completed), fulfilment has not yet picked it up;
- done: fulfilment has the result (counts; for an Access, the records or attachments);
- failed: the service reported a failure; the request is failed with a report, and a retry (the
  DPO's DLQ redrive) calls the service again with the same idempotency key.

While any step is pending the request is `awaiting_external_steps` (open: its clock runs and the
deadline monitor warns as for any open request). The last resolution moves it back to in_progress
through requests.lifecycle ("external_steps_resolved"), whose Request.ExternalStepsResolved event
brings fulfilment back; a failure moves it to failed ("external_step_failed").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from privacydesk.datamap.domain.model import DataMap, Store
from privacydesk.fulfilment.domain.webhook_signing import idempotency_key
from privacydesk.kernel.base_model import Model
from privacydesk.kernel.errors import Conflict, NotFound
from privacydesk.requests.domain import lifecycle
from privacydesk.requests.domain.audit_trail import check_transition
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus, RequestType
from privacydesk.requests.domain.ports import RequestServices
from privacydesk.subjects.domain.subjects import SubjectIds

OUTCOME_KEY = "external_steps"
Operation = Literal["find", "export", "correct", "erase"]
OPERATIONS: dict[RequestType, Operation] = {
    RequestType.ACCESS: "export",
    RequestType.UPDATE: "correct",
    RequestType.DELETE: "erase",
}


class StepState(StrEnum):
    PENDING = "pending"
    RESOLVED = "resolved"
    DONE = "done"
    FAILED = "failed"


class ExternalStep(Model):
    store: str
    kind: str  # webhook | manual
    operation: str
    state: StepState
    idempotency_key: str
    opened_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    # counts (records, erased, kept, corrected) and, for a manual Access, the attachment keys
    result: dict[str, Any] = {}
    error: str | None = None  # what the service said went wrong (never personal data)
    note: str | None = None  # the DPO's note on a manual task

    @property
    def open(self) -> bool:
        return self.state in (StepState.PENDING, StepState.RESOLVED)


class ExternalStepError(Exception):
    """A store's service could not be reached or refused (timeout, 5xx, bad signature, a failure
    answer). Fulfilment audits it with the store's name and the queue retries."""

    def __init__(self, store: str, reason: str) -> None:
        super().__init__(f"{store}: {reason}")
        self.store = store
        self.reason = reason


class StepReplayed(Exception):
    """A second callback (or completion) for a step already resolved: nothing is done twice."""


@dataclass(frozen=True)
class StepAnswer:
    """What a connector said: done (with counts and, for an export, the records) or still pending."""

    done: bool
    result: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)


class ExternalConnector(Protocol):
    store: Store

    def call(self, operation: str, request: PrivacyRequest, ids: SubjectIds, key: str) -> StepAnswer: ...


@dataclass
class ExternalProgress:
    """Where a request's external steps stand after one fulfilment pass."""

    steps: dict[str, ExternalStep]
    records: dict[str, list[dict[str, Any]]]  # export: store -> records (kept in memory, never stored)

    @property
    def pending(self) -> list[str]:
        return sorted(name for name, step in self.steps.items() if step.open)


def external_stores(datamap: DataMap) -> list[Store]:
    return [store for store in datamap.stores if store.external]


def steps_of(request: PrivacyRequest) -> dict[str, ExternalStep]:
    raw: dict[str, Any] = request.outcome.get(OUTCOME_KEY, {})
    return {name: ExternalStep.model_validate(value) for name, value in raw.items()}


def _with_steps(request: PrivacyRequest, steps: Mapping[str, ExternalStep]) -> PrivacyRequest:
    dumped = {name: step.model_dump(mode="json") for name, step in steps.items()}
    return request.model_copy(update={"outcome": {**request.outcome, OUTCOME_KEY: dumped}})


def _states(steps: Mapping[str, ExternalStep]) -> dict[str, str]:
    return {name: step.state.value for name, step in steps.items()}


def _advance_one(
    store: Store,
    step: ExternalStep,
    request: PrivacyRequest,
    ids: SubjectIds,
    connector: Callable[[Store], ExternalConnector],
    now: datetime,
) -> tuple[ExternalStep, list[dict[str, Any]] | None]:
    if store.kind == "manual":
        if step.state == StepState.RESOLVED:
            return step.model_copy(update={"state": StepState.DONE}), None
        connector(store).call(step.operation, request, ids, step.idempotency_key)  # opens (or keeps) the task
        return step.model_copy(update={"state": StepState.PENDING, "error": None}), None
    answer = connector(store).call(step.operation, request, ids, step.idempotency_key)
    if not answer.done:
        return step.model_copy(update={"state": StepState.PENDING, "error": None}), None
    update = {"state": StepState.DONE, "result": answer.result, "error": None, "resolved_at": step.resolved_at or now}
    return step.model_copy(update=update), answer.records


def run_external_steps(
    request: PrivacyRequest,
    ids: SubjectIds,
    *,
    datamap: DataMap,
    connector: Callable[[Store], ExternalConnector],
    now: datetime,
    services: RequestServices,
    actor: str,
) -> tuple[PrivacyRequest, ExternalProgress]:
    """Call each external store that has no result yet (a webhook is called again for an export: its
    records are never stored, the service answers the same idempotency key with them), record the
    steps, and park the request while any is pending. Raises ExternalStepError on a failing service."""
    operation = OPERATIONS[request.type]
    steps = steps_of(request)
    records: dict[str, list[dict[str, Any]]] = {}
    for store in external_stores(datamap):
        step = steps.get(store.name) or ExternalStep(
            store=store.name,
            kind=store.kind,
            operation=operation,
            state=StepState.PENDING,
            idempotency_key=idempotency_key(request.request_id, store.name, operation),
            opened_at=now,
        )
        again = store.kind == "webhook" and operation == "export"
        if step.state == StepState.DONE and not again:
            continue
        step, found = _advance_one(store, step, request, ids, connector, now)
        steps[store.name] = step
        if found is not None:
            records[store.name] = found
    progress = ExternalProgress(steps, records)
    details = {"steps": _states(steps)}
    if not progress.pending:
        request = services.requests.change(
            request.request_id,
            lambda current: _with_steps(current, _merged(current, steps)),
            action="external_steps_done",
            actor=actor,
            at=now,
            details=details,
        )
        return request, progress

    def parked(current: PrivacyRequest) -> PrivacyRequest:
        check_transition(current.status, RequestStatus.AWAITING_EXTERNAL_STEPS)
        merged = _merged(current, steps)
        if not any(step.state == StepState.PENDING for step in merged.values()):
            # every step resolved while we called: run again rather than park with no one to wake us
            raise Conflict("external steps resolved meanwhile", code="concurrent_update")
        return _with_steps(current, merged).model_copy(update={"status": RequestStatus.AWAITING_EXTERNAL_STEPS})

    request = lifecycle.commit(
        services, request.request_id, "external_steps_pending", parked, actor=actor, now=now, details=details
    )
    return request, progress


def _merged(current: PrivacyRequest, mine: dict[str, ExternalStep]) -> dict[str, ExternalStep]:
    """A callback that landed while we were calling wins over our "pending"."""
    stored = steps_of(current)
    merged = dict(mine)
    for name, step in mine.items():
        before = stored.get(name)
        if step.state == StepState.PENDING and before and before.state in (StepState.RESOLVED, StepState.FAILED):
            merged[name] = before
    return merged


# ------------------------------------------------------------------ resolving a step from outside
@dataclass(frozen=True)
class StepOutcome:
    """What a callback or a completed task says of one step: computed against a request by
    `resolution`, committed by `resolve_step`."""

    store: str
    succeeded: bool
    by: str  # who reported it: "webhook:<store>", or the DPO's signed identity
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    note: str | None = None
    operation: str | None = None  # when given, it must be the step's own


def resolution(request: PrivacyRequest, outcome: StepOutcome, now: datetime) -> tuple[str | None, PrivacyRequest]:
    """The request after `outcome`'s step resolved, and the lifecycle transition that carries it
    (None: the status stays, other steps are still pending). Raises StepReplayed when the step was
    already resolved, NotFound when the request has no such open step."""
    store, succeeded, operation = outcome.store, outcome.succeeded, outcome.operation
    steps = steps_of(request)
    step = steps.get(store)
    if step is None:
        raise NotFound("this request has no step for that store", code="step_not_found")
    if operation is not None and operation != step.operation:
        raise Conflict(f"the step is a {step.operation}, not a {operation}", code="operation_mismatch")
    if step.state != StepState.PENDING:
        raise StepReplayed(store)
    steps[store] = step.model_copy(
        update={
            "state": StepState.RESOLVED if succeeded else StepState.FAILED,
            "resolved_at": now,
            "resolved_by": outcome.by,
            "result": outcome.result,
            "error": None if succeeded else (outcome.error or "the service reported a failure"),
            "note": outcome.note,
        }
    )
    after = _with_steps(request, steps)
    waiting = request.status == RequestStatus.AWAITING_EXTERNAL_STEPS
    if not succeeded and waiting:
        failure = {"store": store, "error": steps[store].error, "stage": "external_step"}
        return "external_step_failed", after.model_copy(
            update={"status": RequestStatus.FAILED, "outcome": {**after.outcome, "failure": failure}}
        )
    if waiting and not any(s.state == StepState.PENDING for s in steps.values()):
        return "external_steps_resolved", after.model_copy(update={"status": RequestStatus.IN_PROGRESS})
    return None, after


def resolve_step(services: RequestServices, request_id: str, outcome: StepOutcome, now: datetime) -> PrivacyRequest:
    """Record a callback or a completed task: one audited write; the last pending step's resolution
    brings fulfilment back (through the committed transition's event). A replay is audited and
    changes nothing (StepReplayed is raised after it is recorded)."""
    request = services.requests.require(request_id)
    try:
        name, _ = resolution(request, outcome, now)
    except StepReplayed:
        services.requests.change(
            request_id,
            lambda current: current,
            action="external_step_replayed",
            actor=outcome.by,
            at=now,
            details={"store": outcome.store},
        )
        raise

    def resolved(current: PrivacyRequest) -> PrivacyRequest:
        again, after = resolution(current, outcome, now)
        if again != name:
            raise Conflict("the request changed meanwhile; try again", code="concurrent_update")
        if after.status != current.status:
            check_transition(current.status, after.status)
        return after

    failed = {"error": outcome.error} if outcome.error and not outcome.succeeded else {}
    details = {"store": outcome.store, "succeeded": outcome.succeeded, **failed}
    if name is None:
        return services.requests.change(
            request_id, resolved, action="external_step_resolved", actor=outcome.by, at=now, details=details
        )
    return lifecycle.commit(services, request_id, name, resolved, actor=outcome.by, now=now, details=details)


# ------------------------------------------------------------------------------ manual tasks
class ManualTask(Model):
    """What the DPO sees of a manual step: the subject by reference (the request id), never by
    contact details, and what to do."""

    task_id: str  # "<request_id>/<store>"
    request_id: str
    store: str
    operation: str
    instructions: str
    state: str
    opened_at: datetime
    resolved_at: datetime | None = None
    age_days: float
    respond_by: datetime


def manual_tasks(request: PrivacyRequest, datamap: DataMap, now: datetime) -> list[ManualTask]:
    tasks = []
    for name, step in steps_of(request).items():
        if step.kind != "manual":
            continue
        store = next((s for s in datamap.stores if s.name == name), None)
        end = step.resolved_at if not step.open and step.resolved_at else now
        tasks.append(
            ManualTask(
                task_id=f"{request.request_id}/{name}",
                request_id=request.request_id,
                store=name,
                operation=step.operation,
                instructions=(store.instructions if store else "")
                + f" Operation: {step.operation} the data of the subject of request {request.request_id}.",
                state="open" if step.state == StepState.PENDING else "closed",
                opened_at=step.opened_at,
                resolved_at=step.resolved_at,
                age_days=round((end - step.opened_at).total_seconds() / 86400, 2),
                respond_by=request.respond_by,
            )
        )
    return tasks
