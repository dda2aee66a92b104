"""Policy versions and notices as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from privacydesk.kernel.base_model import Model


class Severity(StrEnum):
    INFO = "info"
    IMPORTANT = "important"
    CRITICAL = "critical"


class Notice(Model):
    model_config = ConfigDict(frozen=True)

    notice_id: str
    title: str
    body: str = ""
    severity: Severity = Severity.INFO
    starts_at: datetime
    ends_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


class PolicySection(Model):
    heading: str
    level: int
    markdown: str


class PolicyVersion(Model):
    model_config = ConfigDict(frozen=True)

    version: str = Field(description="Version id, by convention the Last Updated date (YYYY-MM-DD).")
    title: str
    last_updated: date
    effective_at: datetime
    significant: bool = False
    summary: str = ""
    body_markdown: str
    published_at: datetime | None = None


class PolicyView(Model):
    """`GET /v1/policy`: the current policy with its active notices."""

    version: str
    title: str
    last_updated: date
    effective_at: datetime
    body_markdown: str
    sections: list[PolicySection]
    notices: list[Notice]


VERSION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
NOTICE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
MAX_POLICY_MARKDOWN_CHARS = 200_000  # well under DynamoDB's 400 KB item limit


class VersionStatus(StrEnum):
    CURRENT = "current"
    UPCOMING = "upcoming"
    SUPERSEDED = "superseded"


class PolicyDraft(Model):
    """`POST /v1/admin/policy/versions`: a version to publish. Once published it never changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: str = Field(pattern=VERSION_ID_PATTERN, description="Version id, e.g. the Last Updated date.")
    title: str = Field(default="Privacy Policy", min_length=1, max_length=200)
    last_updated: date = Field(description='The "Last Updated" date shown with the policy.')
    effective_at: AwareDatetime = Field(description="When this version takes effect (with a UTC offset).")
    significant: bool = Field(description="Significant changes are emailed to every registered user.")
    summary: str = Field(min_length=1, max_length=4000, description="What changed, in plain words.")
    body: str = Field(min_length=1, max_length=MAX_POLICY_MARKDOWN_CHARS, description="The policy in Markdown.")

    def to_version(self, published_at: datetime) -> PolicyVersion:
        return PolicyVersion(**self.model_dump(exclude={"body"}), body_markdown=self.body, published_at=published_at)


class VersionSummary(Model):
    """One entry of `GET /v1/policy/versions`."""

    version: str
    title: str
    last_updated: date
    effective_at: datetime
    significant: bool
    summary: str
    published_at: datetime | None
    status: VersionStatus


class VersionDetail(VersionSummary):
    """`GET /v1/policy/versions/{version}`: one version with its full text."""

    body_markdown: str
    sections: list[PolicySection]


class SectionChange(Model):
    heading: str
    change: str = Field(description="added | removed | changed | unchanged")
    diff: str = Field(description="Unified diff of the section's Markdown (empty when unchanged).")


class PolicyDiff(Model):
    """`GET /v1/policy/diff`: what changed between two versions, section by section."""

    from_version: str
    to_version: str
    sections: list[SectionChange]
    unified_diff: str


class NoticeFields(Model):
    """The editable part of a notice (`PUT /v1/admin/notices/{notice_id}`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=4000)
    severity: Severity = Severity.INFO
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> NoticeFields:
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    def to_notice(self, notice_id: str) -> Notice:
        return Notice(notice_id=notice_id, **self.model_dump())


class NoticeDraft(NoticeFields):
    """`POST /v1/admin/notices`: a new notice; the id is generated when not given."""

    notice_id: str | None = Field(default=None, pattern=NOTICE_ID_PATTERN)

    def to_notice(self, notice_id: str) -> Notice:
        return Notice(notice_id=notice_id, **self.model_dump(exclude={"notice_id"}))
