"""What the significant-change emails read from the reference stores: every account (a paged
Scan), the addresses of a few accounts, and whether an account used the API after a moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from privacydesk.change_notices.domain.notice_delivery import Recipient
from privacydesk.change_notices.domain.notice_dispatch import AccountPage, AccountRef
from privacydesk.datamap.adapters.reference_stores import AccountRecord, ApiUsageRecord


class NoticeRecipients:
    """Implements notice_dispatch.AccountSource and notice_delivery.RecipientLookup (change_notices.domain)."""

    def page(self, start_key: dict[str, Any] | None, page_size: int) -> AccountPage:
        # A Scan is the right read here: every account is a recipient, so there is nothing to
        # select by key or index. Only the id and status are read (no address leaves the table here).
        results = AccountRecord.scan(
            limit=page_size,
            page_size=page_size,
            last_evaluated_key=start_key,
            attributes_to_get=["account_id", "status"],
        )
        accounts = [AccountRef(account_id=r.account_id, status=r.status or "active") for r in results]
        next_key = results.last_evaluated_key if len(accounts) >= page_size else None
        return AccountPage(accounts=accounts, next_key=next_key)

    def recipients(self, account_ids: list[str]) -> dict[str, Recipient]:
        return {
            r.account_id: Recipient(account_id=r.account_id, email=r.email or None, status=r.status or "active")
            for r in AccountRecord.batch_get(account_ids)
        }


class ApiUsage:
    """Implements change_notices.domain.notice_acceptance.UsageSource on the API usage store."""

    def first_use_since(self, account_id: str, since: datetime) -> datetime | None:
        # usage_id is "<ISO time>#<id>", so the partition reads in time order: the first item is enough.
        # The upper bound "9" keeps out the monthly summary rows ("aggregate#YYYY-MM") that share it.
        condition = ApiUsageRecord.usage_id.between(since.isoformat(), "9")
        for record in ApiUsageRecord.query(account_id, condition, limit=1):
            return datetime.fromisoformat(record.at)
        return None
