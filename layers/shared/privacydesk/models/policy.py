"""Policy versions and notices as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    INFO = "info"
    IMPORTANT = "important"
    CRITICAL = "critical"


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True)

    notice_id: str
    title: str
    body: str = ""
    severity: Severity = Severity.INFO
    starts_at: datetime
    ends_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


class PolicySection(BaseModel):
    heading: str
    level: int
    markdown: str


class PolicyVersion(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str = Field(description="Version id, by convention the Last Updated date (YYYY-MM-DD).")
    title: str
    last_updated: date
    effective_at: datetime
    significant: bool = False
    summary: str = ""
    body_markdown: str
    published_at: datetime | None = None


class PolicyView(BaseModel):
    """`GET /v1/policy`: the current policy with its active notices."""

    version: str
    title: str
    last_updated: date
    effective_at: datetime
    body_markdown: str
    sections: list[PolicySection]
    notices: list[Notice]
