"""The data map: every store that holds personal data, how to find a subject in it, and the
rules for access, erasure and retention. Loaded from the layer's data/ folder, the file the
deployment chose (DATAMAP_FILE, the template's DataMapFile parameter; data/datamap.yaml by default),
and validated on first use in a container (and in the tests). A data map may `extends:` another.

Each store names where it lives (`table` or `bucket`): the environment variable the functions read
its name from, and what fills that variable in template.yaml: a table or bucket the template creates
(`resource`) or one that already exists (`parameter`). tools/datamap_wiring.py writes the variables,
parameters and IAM grants from this file, so adding a store is this YAML plus that generator's
output; a new *kind* of store also needs one adapter (datamap/adapters/store_registry.py).
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from privacydesk.kernel.base_model import Model


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
    """What an anonymized item keeps, and in what form (datamap.domain.anonymization applies it).

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
    written: Literal["with_each_row"] = (
        "with_each_row"  # see datamap/domain/retention_schedule.py for why not at sweep time
    )


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


class Location(_Strict):
    """Where a store's table or bucket is. Its name reaches the functions in `env`; template.yaml
    fills that from a table or bucket it creates (`resource`, a logical id) or from a parameter
    naming one that already exists (`parameter`, with `default` as its default value)."""

    env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    resource: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]+$")
    parameter: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]+$")
    default: str | None = None  # parameter only: its default value (the stand-in creates it)

    @model_validator(mode="after")
    def _one_source(self) -> Location:
        if (self.resource is None) == (self.parameter is None):
            raise ValueError(f"{self.env}: a location names either resource or parameter")
        if self.default is not None and self.parameter is None:
            raise ValueError(f"{self.env}: only a parameter has a default")
        return self

    @property
    def existing(self) -> bool:
        """A table or bucket PrivacyDesk does not create (named by a template parameter)."""
        return self.parameter is not None

    @property
    def template_name(self) -> str:
        """The logical id or parameter whose `Ref` is the table or bucket name."""
        return self.resource or self.parameter or ""

    @property
    def stream_parameter(self) -> str:
        """An existing table's parameter for its stream ARN (its TTL deletions are audited from that
        stream; empty: not audited). A table the template creates has its stream as an attribute."""
        return f"{self.parameter}StreamArn" if self.parameter else ""

    @property
    def key_parameter(self) -> str:
        """An existing store's parameter for the ARN of the customer-managed KMS key it is encrypted
        with (empty: an AWS-owned or AWS-managed key, which needs no grant). A store the template
        creates uses the stack's own key."""
        return f"{self.parameter}KmsKeyArn" if self.parameter else ""


class ServiceLocation(_Strict):
    """Where a webhook store's service is and which secret holds its signing keys. tools/datamap_wiring.py
    gives each webhook store two parameters, `<parameter>Url` (its base URL) and `<parameter>SigningSecretArn`
    (empty: the stack creates the secret `<stack>-webhook-<store>` with a first key), and passes them
    to fulfilment and the public API as `<env>_URL` and `<env>_SECRET_ID` (the secret's id, never its value)."""

    env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    parameter: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")
    default_url: str = ""  # the Url parameter's default

    @property
    def url_env(self) -> str:
        return f"{self.env}_URL"

    @property
    def secret_env(self) -> str:
        return f"{self.env}_SECRET_ID"

    @property
    def url_parameter(self) -> str:
        return f"{self.parameter}Url"

    @property
    def secret_parameter(self) -> str:
        return f"{self.parameter}SigningSecretArn"

    @property
    def secret_resource(self) -> str:
        """The logical id of the secret the stack creates when no ARN is given."""
        return f"{self.parameter}SigningSecret"


class LinkedObjects(_Strict):
    """S3 objects that go when an item goes (retention, TTL and erasure): the one object an item
    attribute names (`key_attribute`), or every object under a prefix filled from the item
    (`prefix`, e.g. an account's documents under "sender-id/{account_id}/")."""

    bucket_store: str  # the data map's s3 store whose bucket holds the objects
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


# Stores PrivacyDesk does not read itself: a company service (webhook contract) or a DPO's task.
EXTERNAL_KINDS = frozenset({"webhook", "manual"})


class Store(_Strict):
    name: str
    kind: Literal["dynamodb", "s3", "webhook", "manual"]
    category: Category
    description: str
    table: Location | None = None  # dynamodb
    bucket: Location | None = None  # s3
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
    # webhook: the variables and parameters of the service's base URL and its signing keys
    service: ServiceLocation | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # manual: what the DPO is asked to do, per operation (find/export/correct/erase)
    instructions: str = ""

    @property
    def external(self) -> bool:
        return self.kind in EXTERNAL_KINDS

    @model_validator(mode="after")
    def _located(self) -> Store:
        if (self.kind == "webhook") != (self.service is not None):
            raise ValueError(f"{self.name}: a webhook store (and only one) names its service (env, parameter)")
        if self.kind == "manual" and not self.instructions:
            raise ValueError(f"{self.name}: a manual store needs instructions for the DPO")
        if self.kind == "dynamodb" and not (self.table and self.key_attributes and self.bucket is None):
            raise ValueError(f"{self.name}: a dynamodb store needs table and key_attributes (and no bucket)")
        if self.kind == "s3" and not (self.bucket and self.prefix and self.table is None):
            raise ValueError(f"{self.name}: an s3 store needs bucket and a non-empty prefix (and no table)")
        if self.kind == "s3":
            unfilled = [x.key.value for x in self.lookups if "{" + x.key.value + "}" not in (self.prefix or "")]
            if unfilled:  # a prefix no lookup fills would list every subject's objects
                raise ValueError(f"{self.name}: the prefix has no placeholder for lookups {unfilled}")
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
    def location(self) -> Location:
        """Its table (dynamodb) or bucket (s3)."""
        found = self.table or self.bucket
        if found is None:  # a kind reached another way (see DataMap.located)
            raise ValueError(f"{self.name} names no table or bucket")
        return found

    @property
    def service_location(self) -> ServiceLocation:
        """A webhook store's service (its URL and signing keys' variables)."""
        if self.service is None:
            raise ValueError(f"{self.name} is not a webhook store")
        return self.service

    @property
    def audits_ttl(self) -> bool:
        """A table whose items DynamoDB TTL deletes (it has a retention period), so the TTL accounting
        function reads its stream."""
        return self.kind == "dynamodb" and self.retention.period_days is not None

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
        variables = [s.location.env for s in self.located]
        variables += [v for s in self.webhooks for v in (s.service_location.url_env, s.service_location.secret_env)]
        if len(variables) != len(set(variables)):
            raise ValueError("each store needs its own environment variable")
        parameters = [s.service_location.parameter for s in self.webhooks]
        if len(parameters) != len(set(parameters)):
            raise ValueError("each webhook store needs its own parameter")
        buckets = {s.name for s in self.stores if s.kind == "s3"}
        for store in self.stores:
            unknown = {link.bucket_store for link in store.linked_objects} - buckets
            if unknown:
                raise ValueError(f"{store.name}: linked objects name no s3 store of the data map: {sorted(unknown)}")
        return self

    @property
    def located(self) -> list[Store]:
        """The stores that live in a table or bucket (every kind but those reached another way)."""
        return [s for s in self.stores if s.table or s.bucket]

    @property
    def variables(self) -> frozenset[str]:
        """Every environment variable the stores name (tables, buckets, services and their keys)."""
        services = [(s.service_location.url_env, s.service_location.secret_env) for s in self.webhooks]
        return frozenset([*(s.location.env for s in self.located), *(v for pair in services for v in pair)])

    @property
    def webhooks(self) -> list[Store]:
        """The company services (stores of kind webhook), each wired by its own parameters."""
        return [s for s in self.stores if s.service is not None]

    def store(self, name: str) -> Store:
        return next(s for s in self.stores if s.name == name)


DEFAULT_DATAMAP = "datamap.yaml"
# The data maps the layer ships: the template's DataMapFile parameter names one (DATAMAP_FILE).
DATAMAP_FILE_PATTERN = re.compile(r"^datamap(\.[a-z0-9-]+)?\.yaml$")


def shipped_datamaps() -> list[str]:
    """The data-map files in the layer (data/datamap*.yaml), the default first."""
    found = sorted(
        entry.name
        for entry in (resources.files("privacydesk") / "data").iterdir()
        if DATAMAP_FILE_PATTERN.match(entry.name)
    )
    return sorted(found, key=lambda name: name != DEFAULT_DATAMAP)


def _yaml(text: str) -> Any:
    import yaml  # only the paths that read the data map pay for the YAML parser

    if hasattr(yaml, "CSafeLoader"):  # libyaml, when the wheel has it: the same safe subset, faster
        return yaml.load(text, Loader=yaml.CSafeLoader)
    return yaml.safe_load(text)


def _read(file_name: str) -> dict[str, Any]:
    if not DATAMAP_FILE_PATTERN.match(file_name):
        raise ValueError(f"{file_name!r} is not a data-map file name (datamap[.<name>].yaml)")
    value: dict[str, Any] = _yaml((resources.files("privacydesk") / "data" / file_name).read_text(encoding="utf-8"))
    return value


def _resolve_extends(raw: dict[str, Any], seen: tuple[str, ...]) -> dict[str, Any]:
    """`extends: <file>`: the base data map's stores and processors, then this file's (added, never
    replacing one: a name given twice fails validation)."""
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    if base_name in seen:
        raise ValueError(f"data maps extend each other in a cycle: {' -> '.join((*seen, base_name))}")
    base = _resolve_extends(_read(str(base_name)), (*seen, str(base_name)))
    return {
        **base,
        **{k: v for k, v in raw.items() if k not in ("stores", "processors")},
        "stores": [*base.get("stores", []), *raw.get("stores", [])],
        "processors": [*base.get("processors", []), *raw.get("processors", [])],
    }


def parse_datamap(text: str) -> DataMap:
    return DataMap.model_validate(_yaml(text))


@lru_cache(maxsize=4)
def load_datamap_file(file_name: str) -> DataMap:
    """One shipped data map, with what it extends; validated once per container."""
    return DataMap.model_validate(_resolve_extends(_read(file_name), (file_name,)))


def load_datamap() -> DataMap:
    """The data map this deployment chose (DATAMAP_FILE, the template's DataMapFile parameter)."""
    from privacydesk.kernel.settings import get_settings

    return load_datamap_file(get_settings().datamap_file or DEFAULT_DATAMAP)
