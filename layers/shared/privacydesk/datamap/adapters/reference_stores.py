"""The reference personal-data stores the template creates (the company's own data).

They are what PrivacyDesk governs: fulfilment reads and erases them, retention expires them.
Each model is bound to its data-map store (`datamap_table`): its table name comes from the variable
the data map names for that store, like any store's (datamap/adapters/locations.py).
Every item with a retention limit carries `expires_at` (epoch seconds, the table's TTL) and
`expiry_bucket` ("YYYY-MM-DD#shard", the sparse by_expiry index the sweep queries).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from privacydesk.kernel.dynamo import table

EXPIRY_SHARDS = 8
STORE_OF_MODEL: dict[type[Model], str] = {}  # model -> the data-map store it is


def datamap_table(store_name: str, variable: str) -> Callable[[type[Any]], Any]:
    """Class decorator: the model is the data-map store `store_name`, whose table name the data map
    says comes in `variable` (repeated here so importing a model does not parse the data map;
    tests/unit/test_datamap_wiring.py checks the two agree). Read whenever tables are bound."""

    def register(model: type[Model]) -> Any:
        STORE_OF_MODEL[model] = store_name
        return table(lambda: os.environ.get(variable, ""))(model)

    return register


def expiry_bucket(expires_at: datetime, key: str) -> str:
    """Day of expiry plus a stable shard, so one day's expiries spread over partitions."""
    return f"{expires_at.date().isoformat()}#{zlib.crc32(key.encode()) % EXPIRY_SHARDS}"


class ByEmail(GlobalSecondaryIndex["AccountRecord"]):
    class Meta:
        index_name = "by_email"
        projection = KeysOnlyProjection()

    email = UnicodeAttribute(hash_key=True)


class ByPhone(GlobalSecondaryIndex["AccountRecord"]):
    class Meta:
        index_name = "by_phone"
        projection = KeysOnlyProjection()

    phone = UnicodeAttribute(hash_key=True)


@datamap_table("accounts", "ACCOUNTS_TABLE")
class AccountRecord(Model):
    class Meta:
        table_name = "accounts"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    company = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")  # active | closed
    created_at = UTCDateTimeAttribute()
    last_activity_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    billing_plan = UnicodeAttribute(null=True)
    preferences = MapAttribute[str, object](null=True)
    expires_at = NumberAttribute(null=True)
    expiry_bucket = UnicodeAttribute(null=True)

    by_email = ByEmail()
    by_phone = ByPhone()


class ByRecipient(GlobalSecondaryIndex["MessageLogRecord"]):
    class Meta:
        index_name = "by_recipient"
        projection = AllProjection()

    recipient = UnicodeAttribute(hash_key=True)
    sent_at = UnicodeAttribute(range_key=True)


@datamap_table("message_logs", "MESSAGE_LOGS_TABLE")
class MessageLogRecord(Model):
    class Meta:
        table_name = "message-logs"

    account_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)  # "<sent_at>#<id>", so a partition reads in time order
    recipient = UnicodeAttribute(null=True)  # E.164 (an anonymized row has none: datamap.domain.anonymization)
    sender_id = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="delivered")
    sent_at = UnicodeAttribute()
    route = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    expiry_bucket = UnicodeAttribute(null=True)

    by_recipient = ByRecipient()


@datamap_table("api_usage", "API_USAGE_TABLE")
class ApiUsageRecord(Model):
    class Meta:
        table_name = "api-usage"

    account_id = UnicodeAttribute(hash_key=True)
    usage_id = UnicodeAttribute(range_key=True)  # "<at>#<id>"
    endpoint = UnicodeAttribute(null=True)
    method = UnicodeAttribute(null=True)
    status_code = NumberAttribute(null=True)
    at = UnicodeAttribute(null=True)
    # monthly summary rows (usage_id "aggregate#YYYY-MM", see datamap/adapters/api_usage.py) carry these instead
    month = UnicodeAttribute(null=True)
    calls = NumberAttribute(null=True)
    errors = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    expiry_bucket = UnicodeAttribute(null=True)


@datamap_table("technical_events", "TECHNICAL_EVENTS_TABLE")
class TechnicalEventRecord(Model):
    class Meta:
        table_name = "technical-events"

    account_id = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)  # "<at>#<id>"
    ip_address = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    device = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(default="login")
    at = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)
    expiry_bucket = UnicodeAttribute(null=True)


@datamap_table("billing_records", "BILLING_RECORDS_TABLE")
class BillingRecord(Model):
    """An invoice. Kept for the legal period (see the data map), whatever an erasure request says."""

    class Meta:
        table_name = "billing-records"

    account_id = UnicodeAttribute(hash_key=True)
    invoice_id = UnicodeAttribute(range_key=True)  # "<issued_at>#<number>"
    issued_at = UnicodeAttribute()
    period = UnicodeAttribute()  # "YYYY-MM" billed
    amount = NumberAttribute()  # in centavos
    currency = UnicodeAttribute(default="PHP")
    status = UnicodeAttribute(default="paid")
    billing_name = UnicodeAttribute(null=True)
    billing_address = UnicodeAttribute(null=True)
    tax_id = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    expiry_bucket = UnicodeAttribute(null=True)
