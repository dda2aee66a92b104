"""The objection registry (right to Object): per-purpose opt-outs, per subject.

Other services ask before they process: `may_process(subject, purpose)` (wired in
privacydesk.subjects.entry.processing) or `GET /v1/admin/subjects/{id}/processing`. A subject is named by
account id, email or phone; it is stored under an opaque reference, never the identifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from privacydesk.subjects.domain.ports import AccountLookup, Objection, ObjectionStore
from privacydesk.subjects.domain.subjects import SubjectIds, resolve_identifier

# The purposes the privacy policy names; a request may object to others too, and they are kept.
PURPOSES = ("marketing", "analytics", "profiling", "research", "third_party_sharing")


@dataclass(frozen=True)
class ProcessingStatus:
    subject_ref: str
    registered_account: bool
    purposes: dict[str, Objection | None]  # purpose -> the objection, None when there is none

    def allowed(self, purpose: str) -> bool:
        objection = self.purposes.get(purpose)
        return objection is None or not objection.objected


def processing_status(ids: SubjectIds, registry: ObjectionStore) -> ProcessingStatus:
    recorded = registry.get(ids.ref)
    purposes: dict[str, Objection | None] = dict.fromkeys(PURPOSES, None)
    purposes.update(recorded)
    return ProcessingStatus(subject_ref=ids.ref, registered_account=bool(ids.account_id), purposes=purposes)


def status_of(identifier: str, *, registry: ObjectionStore, accounts: AccountLookup) -> ProcessingStatus:
    return processing_status(resolve_identifier(identifier, accounts), registry)


def may_process(subject: str, purpose: str, *, registry: ObjectionStore, accounts: AccountLookup) -> bool:
    """False when the subject objected to this purpose. Subjects without a record may be processed."""
    return status_of(subject, registry=registry, accounts=accounts).allowed(purpose)


def record(
    ids: SubjectIds, purposes: dict[str, bool], *, request_id: str | None, now: datetime, registry: ObjectionStore
) -> None:
    registry.record(
        ids.ref, [Objection(purpose=p, objected=o, at=now, request_id=request_id) for p, o in sorted(purposes.items())]
    )
