"""Carries out verified requests (and approved ones, where approval is required) across every store
of the data map: Access (export bundle), Update (field corrections), Delete (erasure or
anonymization, then a verification pass) and Object (per-purpose opt-outs).

Lifecycle: verified -> in_progress -> completed | failed, each step one audited conditional write.
Delivery is at least once, so every step is safe to repeat: a completed request is left alone, an
in_progress one resumes (stores already erased are recorded in the outcome and skipped), and the
last failed attempt marks the request failed with a report of what was done and what was not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from privacydesk.datamap.domain.anonymization import AnonymizationRule, owner_rule, recipient_rule
from privacydesk.datamap.domain.corrections import validated_corrections
from privacydesk.datamap.domain.model import ErasureMethod, Store, SubjectKey
from privacydesk.datamap.domain.ports import StoreConnector
from privacydesk.datamap.domain.store_errors import StoreMisconfigured
from privacydesk.fulfilment.domain import export_links
from privacydesk.fulfilment.domain.export_bundle import write_bundle
from privacydesk.fulfilment.domain.external_export import ExternalExport
from privacydesk.fulfilment.domain.pending_steps import (
    OPERATIONS,
    ExternalProgress,
    ExternalStepError,
    external_stores,
    run_external_steps,
)
from privacydesk.fulfilment.domain.ports import FulfilmentServices
from privacydesk.kernel.errors import InvalidInput
from privacydesk.kernel.events import DomainEvent, SubjectErased, SubjectObjectionChanged
from privacydesk.kernel.observability import logger
from privacydesk.requests.domain import lifecycle
from privacydesk.requests.domain.audit_trail import check_transition
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus, RequestType, Subject
from privacydesk.requests.domain.notifications import COMPANY, manila_time
from privacydesk.requests.domain.outbox import OutboxItem
from privacydesk.requests.domain.scope import proven_scope
from privacydesk.subjects.domain.ports import HoldView, Objection
from privacydesk.subjects.domain.subjects import (
    Match,
    SubjectIds,
    erase_last,
    excluded,
    matches,
    owner_attribute,
    resolve_proven,
)

ACTOR = "fulfilment"
NOTHING_PROVEN = "the request proved no email address or phone number, so we cannot tell whose data to act on"
UNPROVEN_NOTE = {
    "phone": " We used only the email address you confirmed: the phone number you gave was not confirmed, so "
    "data tied to it was not included. To include it, send a request with that number alone and enter the code "
    "we text to it.",
    "email": " We used only the phone number you confirmed: the email address you gave was not confirmed, so "
    "data tied to it was not included. To include it, send a request with that address alone and follow the "
    "link we mail to it.",
}
HOLD_NOTICE = "they are under a legal hold: we must preserve them for a legal claim or an investigation"


@dataclass(frozen=True)
class FulfilmentResult:
    request_id: str
    action: str  # completed | denied | skipped
    status: RequestStatus | None
    reason: str | None = None


class ErasureIncomplete(Exception):
    """The verification pass found the subject's data still in a store; the erasure is retried."""


def _why_not(request: PrivacyRequest) -> str | None:
    if request.type == RequestType.INQUIRY:
        return "inquiries are answered by the DPO"
    if request.status not in (RequestStatus.VERIFIED, RequestStatus.IN_PROGRESS, RequestStatus.FAILED):
        return f"the request is {request.status.value}"
    if request.verified_at is None:
        return "the requester has not verified the request"
    if request.approval_required and request.approved_at is None:
        return "the request awaits approval"
    return None


def fulfil(
    request_id: str, *, now: datetime, services: FulfilmentServices, attempt: int = 1, max_attempts: int = 3
) -> FulfilmentResult:
    """Fulfil one request. Raises on a failure so the queue retries it (the failure is audited)."""
    repo = services.requests.requests
    found = repo.get(request_id)
    if found is None:  # never will be: retrying would not help
        logger.warning("fulfilment for an unknown request", extra={"request_id": request_id})
        return FulfilmentResult(request_id, "skipped", None, "no such request")
    request = found
    reason = _why_not(request)
    if reason:
        logger.info("fulfilment skipped", extra={"request_id": request_id, "status": request.status.value})
        return FulfilmentResult(request_id, "skipped", request.status, reason)
    scope = proven_scope(request)  # the one rule: only what this request proved is looked up
    if scope.empty:
        lifecycle.deny(request.request_id, NOTHING_PROVEN, actor=ACTOR, now=now, services=services.requests)
        return FulfilmentResult(request_id, "denied", RequestStatus.DENIED, "nothing_proven")
    ids = resolve_proven(scope, services.accounts)
    if request.status != RequestStatus.IN_PROGRESS:

        def started(current: PrivacyRequest) -> PrivacyRequest:
            check_transition(current.status, RequestStatus.IN_PROGRESS)
            subject = current.subject.model_copy(update={"account_id": ids.account_id})
            return current.model_copy(update={"status": RequestStatus.IN_PROGRESS, "subject": subject})

        request = repo.change(
            request_id,
            started,
            action="fulfilment_started",
            actor=ACTOR,
            at=now,
            details={
                "attempt": attempt,
                "registered_account": bool(ids.account_id),
                "proven_by": scope.proven_by,
                "unproven": list(scope.unproven),
            },
        )
    try:
        progress = ExternalProgress({}, {})
        if request.type in OPERATIONS and external_stores(services.datamap):
            request, progress = _external_steps(request, ids, now=now, services=services)
            if progress.pending:  # parked: the last callback or task completion brings us back
                return FulfilmentResult(request_id, "waiting", request.status, ", ".join(progress.pending))
        if request.type == RequestType.ACCESS:
            return _access(request, ids, now=now, services=services, progress=progress)
        if request.type == RequestType.DELETE:
            return _erase(request, ids, now=now, services=services, progress=progress)
        if request.type == RequestType.UPDATE:
            return _correct(request, ids, now=now, services=services, progress=progress)
        return _object(request, ids, now=now, services=services)
    except Exception as error:
        _record_failure(request_id, error, attempt=attempt, max_attempts=max_attempts, now=now, services=services)
        raise


def _record_failure(
    request_id: str, error: Exception, *, attempt: int, max_attempts: int, now: datetime, services: FulfilmentServices
) -> None:
    final = attempt >= max_attempts
    failure = {"attempt": attempt, "error": type(error).__name__, "store": getattr(error, "store", None)}
    if isinstance(error, StoreMisconfigured):  # the operator's fix is in the message (no personal data in it)
        failure["detail"] = error.detail
    if isinstance(error, ExternalStepError):  # what the service did (timeout, HTTP 500, bad signature)
        failure["reason"] = error.reason

    def failed(current: PrivacyRequest) -> PrivacyRequest:
        if not final or current.status != RequestStatus.IN_PROGRESS:
            return current
        return current.model_copy(
            update={"status": RequestStatus.FAILED, "outcome": {**current.outcome, "failure": failure}}
        )

    try:
        services.requests.requests.change(
            request_id,
            failed,
            action="fulfilment_failed" if final else "fulfilment_attempt_failed",
            actor=ACTOR,
            at=now,
            details={**failure, "max_attempts": max_attempts},
        )
    except Exception:  # noqa: BLE001 - never hide the original failure
        logger.exception("could not record the failure", extra={"request_id": request_id})
    logger.warning("fulfilment attempt failed", extra={"request_id": request_id, **failure, "final": final})


def _finish(
    request: PrivacyRequest,
    outcome: dict[str, Any],
    message: str,
    *,
    now: datetime,
    services: FulfilmentServices,
    sms: str | None = None,
    extra: Sequence[DomainEvent] = (),
) -> FulfilmentResult:
    """Close the request: its outcome, audit, Request.Completed, `extra` events and the requester's
    notice (email to the verified address, or SMS) are committed together (requests.lifecycle)."""
    message += "".join(UNPROVEN_NOTE[kind] for kind in proven_scope(request).unproven if kind in UNPROVEN_NOTE)
    if request.type in (RequestType.UPDATE, RequestType.DELETE):  # Art. 19: which processors are told
        from privacydesk.processors.domain.decision import processors_to_notify
        from privacydesk.processors.domain.model import load_processors
        from privacydesk.processors.domain.notices import proven_identifiers

        known = set(proven_identifiers(request))
        told = processors_to_notify(load_processors(), request.type, {**request.outcome, **outcome}, known)
        if told:
            outcome = {**outcome, "processors": told}
    done = lifecycle.complete(
        request.request_id,
        message,
        actor=ACTOR,
        now=now,
        services=services.requests,
        outcome=outcome,
        sms=sms,
        extra=extra,
        more=_processor_notices,
    )
    return FulfilmentResult(request.request_id, "completed", done.status)


def _processor_notices(request: PrivacyRequest) -> list[OutboxItem]:
    """Art. 19: a notice to each processor told, committed with the completion."""
    if not request.outcome.get("processors"):
        return []
    from privacydesk.processors.domain.model import load_processors
    from privacydesk.processors.domain.notices import notice_items

    return notice_items(request, load_processors())


# ---------------------------------------------------------------------- external steps [issue 20]
def _external_steps(
    request: PrivacyRequest, ids: SubjectIds, *, now: datetime, services: FulfilmentServices
) -> tuple[PrivacyRequest, ExternalProgress]:
    if services.external is None:
        raise ExternalStepError("external", "no connector for webhook or manual stores is configured")
    return run_external_steps(
        request,
        ids,
        datamap=services.datamap,
        connector=services.external,
        now=now,
        services=services.requests,
        actor=ACTOR,
    )


def _external_exports(progress: ExternalProgress, services: FulfilmentServices) -> dict[str, ExternalExport]:
    """The Access bundle's share of the external stores: webhook records, manual attachments."""
    exports: dict[str, ExternalExport] = {}
    for name, step in progress.steps.items():
        export = ExternalExport(records=progress.records.get(name, []))
        if services.attachment is not None:
            opener = services.attachment
            for key in step.result.get("attachments", []):
                export.files.append((str(key).rsplit("/", 1)[-1], partial(opener, str(key))))
        exports[name] = export
    return exports


# ------------------------------------------------------------------------------------ Access
def export_key(request_id: str) -> str:
    return f"exports/{request_id}/personal-data.zip"


def _access(
    request: PrivacyRequest,
    ids: SubjectIds,
    *,
    now: datetime,
    services: FulfilmentServices,
    progress: ExternalProgress,
) -> FulfilmentResult:
    key = export_key(request.request_id)
    with services.exports.writer(key, "application/zip") as out:
        report = write_bundle(
            out,
            request=request,
            datamap=services.datamap,
            connector=services.connector,
            ids=ids,
            now=now,
            external=_external_exports(progress, services),
        )
    # The email carries a secret for our download route, not an S3 URL (fulfilment.domain.export_links); the
    # bucket's lifecycle deletes the object no sooner than the link expires.
    secret, grant = export_links.grant_for(
        request.request_id, services.exports.bucket, key, now=now, days=services.export_link_days
    )
    services.export_links.save(grant)
    expires = grant.challenge.expires_at
    link = export_links.download_url(services.requests.config.public_base_url, request.request_id, secret)
    outcome = {
        "stores": {
            name: {"records": s.records, "as_recipient": s.as_recipient, "files": s.files}
            for name, s in report.stores.items()
        },
        "export": {"key": key, "link_expires_at": expires.isoformat(), "records": report.total},
    }
    until = manila_time(expires)
    message = (
        f"Your copy holds {report.total} record(s) from {sum(1 for s in report.stores.values() if s.records)} "
        f"of our data stores, with a README that explains each kind of data and how long we keep it. "
        f"Download it here (the link works until {until}, then the copy is deleted): {link}"
    )
    sms = f"{COMPANY}: your data copy is ready until {until}: {link}"
    return _finish(request, outcome, message, now=now, services=services, sms=sms)


# ------------------------------------------------------------------------------------ Delete
@dataclass
class _Holds:
    """Legal holds by account: the subject's own, and those of accounts whose messages they received."""

    services: FulfilmentServices
    seen: dict[str, HoldView | None]

    def of(self, account_id: str | None) -> HoldView | None:
        if not account_id:
            return None
        if account_id not in self.seen:
            self.seen[account_id] = self.services.holds.active_hold(account_id)
        return self.seen[account_id]


def _anonymization(store: Store, match: Match) -> AnonymizationRule | None:
    """None: the whole item goes. The owner's items of an anonymize store become unlinkable (the
    rule the retention sweep applies); a recipient's copy of someone else's record loses the
    recipient's data only."""
    if match.as_recipient:
        return recipient_rule(store)
    if store.erasure.method == ErasureMethod.ANONYMIZE:
        return owner_rule(store)
    return None


def _kept_reason(store: Store, ids: SubjectIds, holds: _Holds) -> str | None:
    if store.erasure.method == ErasureMethod.KEEP:
        return store.erasure.reason or "a legal obligation requires us to keep them"
    if store.legal_hold.blocks_erasure and holds.of(ids.account_id):
        return HOLD_NOTICE
    return None


def _held_by_owner(store: Store, match: Match, item: dict[str, Any], holds: _Holds) -> bool:
    owner = owner_attribute(store)
    return bool(match.as_recipient and owner and store.legal_hold.blocks_erasure and holds.of(item.get(owner)))


def _erase_store(
    store: Store, connector: StoreConnector, ids: SubjectIds, holds: _Holds, now_epoch: int
) -> dict[str, Any]:
    counts: dict[str, Any] = {"deleted": 0, "anonymized": 0, "kept": 0}
    reason = _kept_reason(store, ids, holds)
    for match in matches(store, ids):
        for page in connector.pages(match.lookup, match.value, now_epoch=now_epoch, include_expired=True):
            items = [item for item in page if not excluded(store, match, ids, item)]
            if reason:
                counts["kept"] += len(items)
                continue
            held = [item for item in items if _held_by_owner(store, match, item, holds)]
            if held:
                counts["kept"] += len(held)
                counts["kept_reason"] = HOLD_NOTICE
                items = [item for item in items if not _held_by_owner(store, match, item, holds)]
            rule = _anonymization(store, match)
            if rule is None:
                counts["deleted"] += connector.delete(items)
            else:
                counts["anonymized"] += connector.anonymize(items, rule)
        if not reason and _anonymization(store, match) is None:
            counts["deleted"] += connector.remove_all(match.lookup, match.value)  # older versions, markers
    if reason and counts["kept"]:
        counts["kept_reason"] = reason
    return counts


def _verify_erasure(services: FulfilmentServices, ids: SubjectIds, holds: _Holds, now_epoch: int) -> dict[str, Any]:
    """Look again, everywhere: what should be gone must not be found (kept records excepted)."""
    remaining: dict[str, int] = {}
    for store in services.datamap.stores:
        if store.external or _kept_reason(store, ids, holds):  # a service vouches for its own erasure
            continue
        connector = services.connector(store)
        left = 0
        for match in matches(store, ids):
            rule = _anonymization(store, match)
            for page in connector.pages(match.lookup, match.value, now_epoch=now_epoch, include_expired=True):
                for item in page:
                    if excluded(store, match, ids, item) or _held_by_owner(store, match, item, holds):
                        continue
                    # Found under the subject's own key: still linkable, whatever fields it lost.
                    if rule is None or rule.rekey or any(name in item for name in rule.fields):
                        left += 1
            if rule is None:
                left += connector.versions_left(match.lookup, match.value)
        remaining[store.name] = left
    return {"passed": not any(remaining.values()), "remaining": remaining}


def _erase(
    request: PrivacyRequest,
    ids: SubjectIds,
    *,
    now: datetime,
    services: FulfilmentServices,
    progress: ExternalProgress,
) -> FulfilmentResult:
    repo = services.requests.requests
    holds = _Holds(services, {})
    now_epoch = int(now.timestamp())
    for store in sorted(services.datamap.stores, key=erase_last):
        if store.name in request.outcome.get("stores", {}):
            continue  # erased in an earlier attempt
        if store.external:  # the service's (or the DPO's) own account of what it erased
            result = progress.steps[store.name].result
            counts: dict[str, Any] = {
                "deleted": int(result.get("erased", result.get("records", 0)) or 0),
                "anonymized": 0,
                "kept": int(result.get("kept", 0) or 0),
            }
            if result.get("kept_reason"):
                counts["kept_reason"] = str(result["kept_reason"])
        else:
            counts = _erase_store(store, services.connector(store), ids, holds, now_epoch)

        def recorded(
            current: PrivacyRequest, name: str = store.name, result: dict[str, Any] = counts
        ) -> PrivacyRequest:
            stores = {**current.outcome.get("stores", {}), name: result}
            return current.model_copy(update={"outcome": {**current.outcome, "stores": stores}})

        request = repo.change(
            request.request_id,
            recorded,
            action="store_erased",
            actor=ACTOR,
            at=now,
            details={"store": store.name, **{k: v for k, v in counts.items() if k != "kept_reason"}},
        )
    if "exports_removed" not in request.outcome:
        removed = _remove_earlier_exports(request, ids, now=now, services=services)
        request = repo.change(
            request.request_id,
            lambda current: current.model_copy(update={"outcome": {**current.outcome, "exports_removed": removed}}),
            action="exports_removed",
            actor=ACTOR,
            at=now,
            details={"exports": removed},
        )
    verification = _verify_erasure(services, ids, holds, now_epoch)
    request = repo.change(
        request.request_id,
        lambda current: current.model_copy(update={"outcome": {**current.outcome, "verification": verification}}),
        action="erasure_verified" if verification["passed"] else "erasure_verification_failed",
        actor=ACTOR,
        at=now,
        details=verification,
    )
    if not verification["passed"]:
        raise ErasureIncomplete(f"data left in {sorted(k for k, v in verification['remaining'].items() if v)}")
    stores: dict[str, Any] = request.outcome.get("stores", {})
    kept = [
        {"store": name, "records": counts["kept"], "reason": counts.get("kept_reason", "")}
        for name, counts in stores.items()
        if counts.get("kept")
    ]
    erasure = SubjectErased(
        occurred_at=now,
        request_id=request.request_id,
        subject_ref=ids.ref,
        stores={name: {k: v for k, v in c.items() if k != "kept_reason"} for name, c in stores.items()},
    )
    erased = sum(c.get("deleted", 0) + c.get("anonymized", 0) for c in stores.values())
    lines = [f"We deleted or anonymized {erased} record(s) across our data stores and checked that none remain."]
    lines.extend(_anonymized_lines(services, stores))
    if request.outcome.get("exports_removed"):
        lines.append(
            f"We also deleted {request.outcome['exports_removed']} earlier copy(ies) of your data that we had "
            "prepared for you; their download links no longer work."
        )
    for entry in kept:
        store = services.datamap.store(entry["store"])
        lines.append(
            f"We kept {entry['records']} record(s) of {store.description.rstrip('.')}, because {entry['reason']}"
        )
    return _finish(
        request,
        {"kept": kept},
        " ".join(lines),
        now=now,
        services=services,
        sms=f"{COMPANY}: your data has been deleted ({erased} record(s)); {sum(e['records'] for e in kept)} kept.",
        extra=[erasure],
    )


def _anonymized_lines(services: FulfilmentServices, stores: dict[str, Any]) -> list[str]:
    """What anonymization kept, in what form and for how long (the data map says)."""
    lines = []
    for name, counts in stores.items():
        store = services.datamap.store(name)
        if counts.get("anonymized") and store.anonymization is not None:
            lines.append(
                f"From {store.description.split(' - ')[0].lower()} we kept only {store.anonymization.kept_as}, "
                f"{store.anonymization.kept_for}."
            )
    return lines


def _remove_earlier_exports(
    request: PrivacyRequest, ids: SubjectIds, *, now: datetime, services: FulfilmentServices
) -> int:
    """Earlier Access exports of this subject go with the rest, and their links answer 410 from now."""
    keys = {Subject(email=email).key for email in ids.emails} | {Subject(phone=phone).key for phone in ids.phones}
    keys.add(request.subject.key)
    removed = 0
    for key in sorted(keys):
        for earlier in services.requests.requests.by_subject(key, limit=100):
            if earlier.type != RequestType.ACCESS or earlier.request_id == request.request_id:
                continue
            services.export_links.revoke(earlier.request_id, now)
            if services.exports.remove(export_key(earlier.request_id)):
                removed += 1
    return removed


# ------------------------------------------------------------------------------------ Update
def _correct(
    request: PrivacyRequest,
    ids: SubjectIds,
    *,
    now: datetime,
    services: FulfilmentServices,
    progress: ExternalProgress,
) -> FulfilmentResult:
    try:
        values = validated_corrections(request.corrections, services.datamap)
    except InvalidInput as error:
        lifecycle.deny(request.request_id, error.message, actor=ACTOR, now=now, services=services.requests)
        return FulfilmentResult(request.request_id, "denied", RequestStatus.DENIED, error.code)
    updated: dict[str, int] = {}
    now_epoch = int(now.timestamp())
    for store in services.datamap.stores:
        here = {name: value for name, value in values.items() if name in store.personal_fields}
        if not here:
            continue
        if store.external:  # corrected by the service (or the DPO) in the external step
            step_result = progress.steps[store.name].result
            updated[store.name] = int(step_result.get("corrected", step_result.get("records", 0)) or 0)
            continue
        connector = services.connector(store)
        count = 0
        for match in matches(store, ids):
            if match.as_recipient or match.lookup.key != SubjectKey.ACCOUNT_ID:
                continue  # only the subject's own records; a recipient's copy belongs to the sender
            for page in connector.pages(match.lookup, match.value, now_epoch=now_epoch):
                count += connector.assign(page, here)
        updated[store.name] = count
    fields = sorted(values)
    services.requests.requests.change(
        request.request_id,
        lambda current: current,
        action="fields_corrected",
        actor=ACTOR,
        at=now,
        details={"fields": fields, "stores": updated},  # names and counts, never the values
    )
    total = sum(updated.values())
    message = (
        f"We corrected {', '.join(fields)} in {total} record(s)."
        if total
        else "We hold no account for this contact, so there was nothing to correct."
    )
    return _finish(request, {"fields": fields, "stores": updated}, message, now=now, services=services)


# ------------------------------------------------------------------------------------ Object
def _object(
    request: PrivacyRequest, ids: SubjectIds, *, now: datetime, services: FulfilmentServices
) -> FulfilmentResult:
    purposes = sorted(set(request.purposes))
    services.objections.record(
        ids.ref, [Objection(purpose=p, objected=True, at=now, request_id=request.request_id) for p in purposes]
    )
    objection = SubjectObjectionChanged(occurred_at=now, subject_ref=ids.ref, purposes=dict.fromkeys(purposes, True))
    message = f"From now on we no longer use your data for: {', '.join(purposes)}."
    return _finish(request, {"purposes": purposes}, message, now=now, services=services, extra=[objection])
