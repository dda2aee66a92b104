"""The data map: every store that holds personal data, how to find a subject in it, and the
rules for access, erasure and retention. Loaded from data/datamap.yaml and validated on first
use in a container (and in the tests). Adding a store is a change to the YAML; a new *kind* of store also
needs one connector class.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from privacydesk.models.base import Model


class Category(StrEnum):
    PERSONAL = "personal"
    USAGE = "usage"
    ACCOUNT = "account"
    TECHNICAL = "technical"


class ErasureMethod(StrEnum):
    DELETE = "delete"
    ANONYMIZE = "anonymize"
    KEEP = "keep"  # a legal retention obligation (e.g. billing): kept and reported


class RetentionAnchor(StrEnum):
    CREATED_AT = "created_at"
    LAST_ACTIVITY = "last_activity"
    ACCOUNT_CLOSED = "account_closed"


class SubjectKey(StrEnum):
    ACCOUNT_ID = "account_id"
    EMAIL = "email"
    PHONE = "phone"


class _Strict(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubjectLookup(_Strict):
    """How to find a subject's items by one identifier."""

    key: SubjectKey
    attribute: str  # the item attribute holding the identifier
    index: str | None = None  # GSI to query; None means the attribute is the table's partition key
    role: Literal["owner", "recipient"] = "owner"  # recipient: an SMS recipient, not the account holder


class Erasure(_Strict):
    method: ErasureMethod
    fields: list[str] = Field(default_factory=list)  # anonymize: the fields to remove or mask
    reason: str = ""  # why, when method is keep


class Aggregation(_Strict):
    """A store whose detail rows are summarised before they expire (API usage: monthly counts).

    The summary rows live in the same table, under the subject's partition key, with a sort key
    starting with `item_prefix`; they carry no TTL and are erased with the subject.
    """

    granularity: Literal["month"] = "month"
    item_prefix: str  # sort-key prefix of the summary rows, e.g. "aggregate#" -> "aggregate#2026-11"
    counters: list[str]  # numeric attributes of a summary row
    written: Literal["with_each_row"] = "with_each_row"  # see logic/retention.py for why not at sweep time


class Retention(_Strict):
    period_days: int | None = Field(default=None, ge=1)  # None: kept while the anchor lasts
    anchor: RetentionAnchor = RetentionAnchor.CREATED_AT
    anchor_attribute: str = "created_at"  # the item attribute holding the anchor time (ISO 8601)
    method: ErasureMethod = ErasureMethod.DELETE
    legal_basis: str
    reason: str
    # anonymize only: DynamoDB TTL deletes the item this many days after it was due, if the sweep
    # has not anonymized it by then (a stopped sweep errs on the side of deletion, never of keeping).
    ttl_backstop_days: int = Field(default=7, ge=1)
    aggregate: Aggregation | None = None


class LinkedObjects(_Strict):
    """S3 objects an item points at; they go when the item goes (retention and erasure)."""

    bucket_setting: str  # Settings attribute naming the bucket
    key_attribute: str  # the item attribute holding the object key


class LegalHold(_Strict):
    blocks_erasure: bool = True
    blocks_retention: bool = True


class Redaction(_Strict):
    """What a subject known only by phone (an SMS recipient) must not see of a store's items."""

    recipient_hides: list[str] = Field(default_factory=list)


class Store(_Strict):
    name: str
    kind: Literal["dynamodb", "s3"]
    category: Category
    description: str
    table_setting: str | None = None  # Settings attribute naming the table (dynamodb)
    bucket_setting: str | None = None  # Settings attribute naming the bucket (s3)
    prefix: str | None = None  # s3: key prefix, may contain {account_id}
    key_attributes: list[str] = Field(default_factory=list)  # dynamodb: hash (and range) key names
    lookups: list[SubjectLookup]
    fields: list[str]
    personal_fields: list[str] = Field(default_factory=list)
    erasure: Erasure
    retention: Retention
    legal_basis: str
    legal_hold: LegalHold = Field(default_factory=LegalHold)
    redaction: Redaction = Field(default_factory=Redaction)
    linked_objects: list[LinkedObjects] = Field(default_factory=list)

    @model_validator(mode="after")
    def _located(self) -> Store:
        if self.kind == "dynamodb" and not (self.table_setting and self.key_attributes):
            raise ValueError(f"{self.name}: a dynamodb store needs table_setting and key_attributes")
        if self.kind == "s3" and not (self.bucket_setting and self.prefix is not None):
            raise ValueError(f"{self.name}: an s3 store needs bucket_setting and prefix")
        unknown = set(self.erasure.fields) - set(self.fields)
        if unknown:
            raise ValueError(f"{self.name}: erasure fields not in fields: {sorted(unknown)}")
        if self.retention.anchor_attribute not in self.fields:
            raise ValueError(f"{self.name}: retention anchor {self.retention.anchor_attribute} is not a field")
        if self.retention.method == ErasureMethod.ANONYMIZE and not self.anonymized_fields:
            raise ValueError(f"{self.name}: anonymize needs erasure fields or personal fields to remove")
        if self.retention.method == ErasureMethod.ANONYMIZE and set(self.anonymized_fields) & set(self.key_attributes):
            raise ValueError(f"{self.name}: anonymize cannot remove key attributes")
        return self

    @property
    def owner_lookup(self) -> SubjectLookup | None:
        """How to find the items of the account holder who owns them (legal holds, retention)."""
        return next((x for x in self.lookups if x.key == SubjectKey.ACCOUNT_ID and x.role == "owner"), None)

    @property
    def owner_attribute(self) -> str | None:
        """The item attribute holding the owner's account id."""
        return self.owner_lookup.attribute if self.owner_lookup else None

    @property
    def anonymized_fields(self) -> list[str]:
        """What anonymization removes: the erasure fields, or else every personal field."""
        return list(self.erasure.fields or self.personal_fields)


class DataMap(_Strict):
    version: str
    stores: list[Store]

    @model_validator(mode="after")
    def _unique(self) -> DataMap:
        names = [s.name for s in self.stores]
        if len(names) != len(set(names)):
            raise ValueError("store names must be unique")
        return self

    def store(self, name: str) -> Store:
        return next(s for s in self.stores if s.name == name)


def parse_datamap(text: str) -> DataMap:
    import yaml  # only the paths that read the data map pay for the YAML parser

    if hasattr(yaml, "CSafeLoader"):  # libyaml, when the wheel has it: the same safe subset, faster
        return DataMap.model_validate(yaml.load(text, Loader=yaml.CSafeLoader))
    return DataMap.model_validate(yaml.safe_load(text))


@lru_cache(maxsize=1)
def load_datamap() -> DataMap:
    """The checked-in data map; validated once per container, on first use."""
    text = (resources.files("privacydesk") / "data" / "datamap.yaml").read_text(encoding="utf-8")
    return parse_datamap(text)
