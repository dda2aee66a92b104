"""The `processors:` section of the data map: each processor, what it receives from which store,
how it is told of a correction or erasure (email through SES, or a signed webhook), and how many
days it has to confirm. Validated against the stores of the data map on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator, model_validator

from privacydesk.datamap.domain.model import DataMap, SubjectKey
from privacydesk.kernel.base_model import Model

ProcessorAction = Literal["correct", "erase"]
NotifyOn = Literal["update", "delete"]
NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _Strict(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Receives(_Strict):
    """Fields of one data-map store that the processor receives (or hosts)."""

    store: str
    fields: list[str] = Field(min_length=1)


class EmailChannel(_Strict):
    kind: Literal["email"] = "email"
    address: str

    @field_validator("address")
    @classmethod
    def _an_address(cls, value: str) -> str:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("not an email address")
        return value


class WebhookChannel(_Strict):
    kind: Literal["webhook"]
    url: str
    # Secrets Manager secret holding the HMAC key ({"current": ..., "previous": ...} or a plain string).
    secret_id: str

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value)
        local = parts.hostname in LOOPBACK
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ValueError("a processor webhook must be https (http only on loopback, for the stand-in)")
        return value


class Processor(_Strict):
    name: str
    title: str  # said to the requester: "our SMS gateway provider"
    description: str
    receives: list[Receives] = Field(min_length=1)
    # What the processor already holds to find the person, and so the only identifiers a notice carries.
    identified_by: list[SubjectKey] = Field(min_length=1)
    notify_on: list[NotifyOn] = Field(default_factory=lambda: list[NotifyOn](["update", "delete"]))
    notify: Annotated[EmailChannel | WebhookChannel, Field(discriminator="kind")]
    confirm_within_days: int = Field(ge=1, le=30)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not NAME.fullmatch(value):
            raise ValueError("a processor name is lower_snake_case (it appears in URLs)")
        return value

    def fields_of(self, store: str) -> set[str]:
        return {name for r in self.receives if r.store == store for name in r.fields}

    @property
    def field_names(self) -> set[str]:
        return {name for r in self.receives for name in r.fields}


class ProcessorMap(_Strict):
    processors: list[Processor] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ProcessorMap:
        names = [p.name for p in self.processors]
        if len(names) != len(set(names)):
            raise ValueError("processor names must be unique")
        return self

    def processor(self, name: str) -> Processor | None:
        return next((p for p in self.processors if p.name == name), None)

    def check_against(self, datamap: DataMap) -> ProcessorMap:
        """Every store and field a processor receives exists in the data map (a typo would
        silently mean a processor is never told)."""
        stores = {s.name: s for s in datamap.stores}
        for processor in self.processors:
            for received in processor.receives:
                store = stores.get(received.store)
                if store is None:
                    raise ValueError(f"processor {processor.name}: unknown store {received.store}")
                unknown = set(received.fields) - set(store.fields)
                if unknown:
                    raise ValueError(f"processor {processor.name}: {received.store} has no fields {sorted(unknown)}")
        return self


def parse_processors(document: dict[str, Any], datamap: DataMap) -> ProcessorMap:
    """The processors of a parsed data-map document (no section: none)."""
    return ProcessorMap.model_validate({"processors": document.get("processors") or []}).check_against(datamap)


@lru_cache(maxsize=1)
def load_processors() -> ProcessorMap:
    """The checked-in data map's processors; validated once per container, on first use."""
    import yaml

    from privacydesk.datamap.domain.model import load_datamap

    text = (resources.files("privacydesk") / "data" / "datamap.yaml").read_text(encoding="utf-8")
    return parse_processors(yaml.safe_load(text), load_datamap())
