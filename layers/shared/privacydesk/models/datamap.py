"""The data map: every store that holds personal data, how to find a subject in it, and the
rules for access, erasure and retention. Loaded from data/datamap.yaml and validated on first
use in a container (and in the tests). Adding a store is a change to the YAML; a new *kind* of store also
needs one connector class.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

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


class Anonymization(_Strict):
    """What an anonymized item keeps, and in what form (logic.anonymization applies it).

    Anonymizing an account holder's item rewrites it under a new key that maps back to nothing (a
    per-period, randomly sharded partition): every identifier goes, key attributes included, and the
    `generalise` attributes are coarsened (an ISO time to its month), so the row still counts but
    cannot be joined to a person or to any store that names one.
    """

    generalise: dict[str, Literal["month"]] = Field(default_factory=dict)
    kept_as: str  # said to the person (completion notice, export README): what remains, in what form
    kept_for: str = "indefinitely: it no longer relates to anyone"


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
    """S3 objects that go when an item goes (retention, TTL and erasure): the one object an item
    attribute names (`key_attribute`), or every object under a prefix filled from the item
    (`prefix`, e.g. an account's documents under "sender-id/{account_id}/")."""

    bucket_setting: str  # Settings attribute naming the bucket
    key_attribute: str | None = None  # the item attribute holding the object key
    prefix: str | None = None  # a key prefix with {attribute} placeholders

    @model_validator(mode="after")
    def _one_way(self) -> LinkedObjects:
        if (self.key_attribute is None) == (self.prefix is None):
            raise ValueError("a linked object names either key_attribute or prefix")
        return self

    @property
    def attributes(self) -> list[str]:
        """The item attributes needed to locate the objects."""
        if self.key_attribute:
            return [self.key_attribute]
        return re.findall(r"\{(\w+)\}", self.prefix or "")

    def location(self, item: dict[str, Any]) -> tuple[str, bool] | None:
        """(object key, True) or (prefix, False) for this item; None when the item names none."""
        if self.key_attribute:
            value = item.get(self.key_attribute)
            return (str(value), True) if value else None
        values = {name: item.get(name) for name in self.attributes}
        if not all(values.values()):
            return None  # never a bare or partial prefix: that would reach other subjects' objects
        return (self.prefix or "").format(**{k: str(v) for k, v in values.items()}), False


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
    # Attributes whose value identifies a person or joins to a store that does (ids, contacts, sender
    # ids). Every lookup attribute is one. An anonymized item keeps none of them.
    identifiers: list[str] = Field(default_factory=list)
    fields: list[str]
    personal_fields: list[str] = Field(default_factory=list)
    erasure: Erasure
    anonymization: Anonymization | None = None
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
        self._check_identifiers()
        return self

    def _check_identifiers(self) -> None:
        """An anonymize store must say what it keeps, and keep no identifier."""
        unknown = set(self.identifiers) - set(self.fields)
        if unknown:
            raise ValueError(f"{self.name}: identifiers not in fields: {sorted(unknown)}")
        unlisted = {lookup.attribute for lookup in self.lookups} - set(self.identifiers)
        if unlisted and self.kind == "dynamodb":
            raise ValueError(f"{self.name}: lookup attributes must be listed as identifiers: {sorted(unlisted)}")
        if not self.anonymizes:
            return
        if self.kind != "dynamodb":
            raise ValueError(f"{self.name}: only a dynamodb store can be anonymized (an object is deleted)")
        if self.anonymization is None:
            raise ValueError(f"{self.name}: anonymize needs an anonymization section (what is kept, in what form)")
        if not self.identifiers:
            raise ValueError(f"{self.name}: anonymize needs the store's identifiers, to remove every one")
        kept = set(self.personal_fields) - set(self.anonymized_fields) - set(self.key_attributes)
        if kept:
            raise ValueError(f"{self.name}: anonymization would keep personal fields {sorted(kept)}")
        generalised = set(self.anonymization.generalise)
        if generalised - set(self.fields):
            raise ValueError(f"{self.name}: generalised attributes not in fields: {sorted(generalised)}")
        if generalised & set(self.identifiers):
            raise ValueError(f"{self.name}: an identifier cannot be kept, even generalised: {sorted(generalised)}")

    @property
    def anonymizes(self) -> bool:
        return ErasureMethod.ANONYMIZE in (self.erasure.method, self.retention.method)

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
        """What anonymizing the owner's item removes: its content (the erasure fields, or else every
        personal field) and every identifier that is not a key attribute (keys are replaced)."""
        content = self.erasure.fields or self.personal_fields
        extra = [name for name in self.identifiers if name not in content and name not in self.key_attributes]
        return [*content, *extra]


class DataMap(_Strict):
    version: str
    stores: list[Store]
    # The recipients told of corrections and erasures; validated by privacydesk.processors.domain.model.
    processors: list[dict[str, Any]] = Field(default_factory=list)

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
