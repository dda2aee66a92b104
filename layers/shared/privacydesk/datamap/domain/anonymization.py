"""What an anonymized item looks like: one rule for the retention sweep and for Delete requests.

Removing a few fields is not anonymization while the item still carries the account id it was
stored under: the billing records keep that id with a name and an address for ten years, so the
"anonymous" row could be joined back to a person (pseudonymized data is still personal data).

So an account holder's item is rewritten: every identifier the data map names goes, key attributes
included, and the item moves to a key that maps back to nothing, `anonymous#<month>#<shard>` with a
random sort key. No table keeps a mapping from old key to new. Attributes the data map generalises
are coarsened (an ISO time to its month) so that the row's time cannot single out the subject's
messages either. Nothing records when it was anonymized, because that moment is in the request's
audit trail and would link the two.

An SMS recipient's copy of someone else's record is different: the item belongs to the sending
account, and only the recipient's own data (the number, the body) is removed from it.

Pure: no I/O. datamap.adapters.store_items applies the rule to a table.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from privacydesk.datamap.domain.model import Store

ANONYMOUS_PREFIX = "anonymous#"
ANONYMOUS_SHARDS = 16  # spreads one month's rewritten rows over partitions (write throughput)
TTL_ATTRIBUTES = ("expires_at", "expiry_bucket")  # the retention schedule no longer applies
ANONYMIZED_MARK = "anonymized"


@dataclass(frozen=True)
class AnonymizationRule:
    remove: tuple[str, ...]  # attributes dropped from the item
    rekey: bool  # True: the item moves to a key with no mapping back
    generalise: dict[str, str] = field(default_factory=dict)  # attribute -> "month"

    @property
    def fields(self) -> list[str]:
        """The attributes whose presence means the item still holds what this rule removes."""
        return list(self.remove)


def owner_rule(store: Store) -> AnonymizationRule:
    """The account holder's items (retention, and a Delete by the owner): unlinkable."""
    generalise: dict[str, str] = dict(store.anonymization.generalise) if store.anonymization else {}
    return AnonymizationRule(remove=tuple(store.anonymized_fields), rekey=True, generalise=generalise)


def recipient_rule(store: Store) -> AnonymizationRule:
    """An SMS recipient's copy of the sender's record: the recipient's own data goes."""
    return AnonymizationRule(remove=tuple(store.erasure.fields or store.personal_fields), rekey=False)


def generalised(value: Any, how: str) -> Any:
    if how == "month" and isinstance(value, str) and len(value) >= 7:
        return value[:7]  # ISO 8601 "YYYY-MM..." -> "YYYY-MM"
    return None


def anonymized_item(store: Store, item: dict[str, Any], rule: AnonymizationRule) -> dict[str, Any]:
    """The item as it is kept: identifiers and content removed, generalised, under a new key."""
    dropped = set(rule.remove) | set(TTL_ATTRIBUTES) | {"anonymized_at"}
    if rule.rekey:
        dropped |= set(store.identifiers) | set(store.key_attributes)
    kept = {name: value for name, value in item.items() if name not in dropped}
    for name, how in rule.generalise.items():
        if name in kept:
            coarse = generalised(kept[name], how)
            if coarse is None:
                kept.pop(name)
            else:
                kept[name] = coarse
    if rule.rekey:
        kept.update(_new_key(store, kept, rule))
        kept[ANONYMIZED_MARK] = True
    return kept


def _new_key(store: Store, kept: dict[str, Any], rule: AnonymizationRule) -> dict[str, Any]:
    period = next((str(kept[name]) for name in rule.generalise if name in kept), "undated")
    shard = secrets.randbelow(ANONYMOUS_SHARDS)
    key = {store.key_attributes[0]: f"{ANONYMOUS_PREFIX}{period}#{shard:02d}"}
    for name in store.key_attributes[1:]:
        key[name] = f"{period}#{secrets.token_hex(16)}"
    return key


def is_anonymous_key(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(ANONYMOUS_PREFIX)
