"""The deadline monitor's check of processor notices: warn the DPO once about each overdue one."""

from __future__ import annotations

from datetime import datetime

from privacydesk.bootstrap import fresh_services
from privacydesk.processors.adapters.notice_store import ProcessorNoticeStore
from privacydesk.processors.domain.tracking import EscalationRun, escalate_overdue


def check_processor_notices(now: datetime, dpo_email: str) -> EscalationRun:
    return escalate_overdue(now, services=fresh_services(), sent=ProcessorNoticeStore(), dpo_email=dpo_email)
