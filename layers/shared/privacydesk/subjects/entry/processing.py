"""For other services: may we process this subject's data for this purpose?

    from privacydesk.subjects.entry.processing import may_process
    if may_process("acct-ana", "marketing"): ...

The subject is an account id, an email or an E.164 phone. It reads the objection registry that
Object requests fill (table SUBJECT_PREFERENCES_TABLE; the caller needs dynamodb:GetItem on it and
on the accounts table's email/phone indexes).
"""

from __future__ import annotations

from privacydesk.bootstrap import fulfilment_services
from privacydesk.subjects.domain import objections


def may_process(subject: str, purpose: str) -> bool:
    services = fulfilment_services()
    return objections.may_process(subject, purpose, registry=services.objections, accounts=services.accounts)
