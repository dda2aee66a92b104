"""Which policy is current, which notices are active, how the policy is split into sections,
and the admin's actions on both: publishing immutable versions and managing notices."""

from __future__ import annotations

import difflib
import json
import re
import uuid
from datetime import date, datetime
from importlib import resources
from typing import Protocol

from privacydesk.kernel.errors import Conflict, NotFound
from privacydesk.kernel.events import DomainEvent, PolicyPublished
from privacydesk.policy.domain.model import (
    Notice,
    NoticeDraft,
    NoticeFields,
    PolicyDiff,
    PolicyDraft,
    PolicySection,
    PolicyVersion,
    PolicyView,
    SectionChange,
    VersionDetail,
    VersionStatus,
    VersionSummary,
)

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


class PolicyStore(Protocol):
    def latest_effective(self, now: datetime) -> PolicyVersion | None: ...
    def notices(self) -> list[Notice]: ...


class VersionStore(PolicyStore, Protocol):
    def current_version_id(self, now: datetime) -> str | None: ...
    def versions(self) -> list[PolicyVersion]: ...
    def get_version(self, version: str) -> PolicyVersion | None: ...
    def publish(
        self, version: PolicyVersion, now: datetime, announcement: DomainEvent | None = None
    ) -> PolicyVersion: ...


class NoticeStore(Protocol):
    def notices(self) -> list[Notice]: ...
    def get_notice(self, notice_id: str) -> Notice | None: ...
    def put_notice(self, notice: Notice, *, must_exist: bool | None = None) -> Notice: ...
    def delete_notice(self, notice_id: str) -> None: ...


def sections_of(markdown: str) -> list[PolicySection]:
    """Split Markdown at level-2 headings so clients can render or link each section."""
    sections: list[PolicySection] = []
    heading, level = "", 1
    lines: list[str] = []
    for line in markdown.splitlines():
        match = _HEADING.match(line)
        if match and len(match.group(1)) <= 2:
            if heading or any(x.strip() for x in lines):
                sections.append(PolicySection(heading=heading, level=level, markdown="\n".join(lines).strip()))
            heading, level, lines = match.group(2).strip(), len(match.group(1)), []
        else:
            lines.append(line)
    if heading or any(x.strip() for x in lines):
        sections.append(PolicySection(heading=heading, level=level, markdown="\n".join(lines).strip()))
    return sections


def active_notices(notices: list[Notice], now: datetime) -> list[Notice]:
    order = {"critical": 0, "important": 1, "info": 2}
    return sorted((n for n in notices if n.is_active(now)), key=lambda n: (order[n.severity], n.starts_at))


def view_of(version: PolicyVersion, notices: list[Notice], now: datetime) -> PolicyView:
    return PolicyView(
        version=version.version,
        title=version.title,
        last_updated=version.last_updated,
        effective_at=version.effective_at,
        body_markdown=version.body_markdown,
        sections=sections_of(version.body_markdown),
        notices=active_notices(notices, now),
    )


def current_policy(store: PolicyStore, now: datetime) -> PolicyView:
    """The latest version already in effect. Before anything is published, the bundled initial policy."""
    version = store.latest_effective(now)
    notices = store.notices()
    if version is None:
        version, seeded_notices = initial_policy()
        notices = notices or seeded_notices
    return view_of(version, notices, now)


def initial_policy() -> tuple[PolicyVersion, list[Notice]]:
    """The company's policy of 2025-11-30 and its notice, shipped with the package as data."""
    folder = resources.files("privacydesk") / "data" / "policy"
    meta = json.loads((folder / "initial.json").read_text(encoding="utf-8"))
    body = (folder / meta["body_file"]).read_text(encoding="utf-8")
    version = PolicyVersion(
        version=meta["version"],
        title=meta["title"],
        last_updated=date.fromisoformat(meta["last_updated"]),
        effective_at=datetime.fromisoformat(meta["effective_at"]),
        significant=meta["significant"],
        summary=meta["summary"],
        body_markdown=body,
    )
    notices = [Notice.model_validate(n) for n in meta["notices"]]
    return version, notices


# ---------------------------------------------------------------- versions


def current_version_id(store: VersionStore, now: datetime) -> str:
    """The id of the version in force (cheap: for the API's policy-version header)."""
    return store.current_version_id(now) or initial_policy()[0].version


def _all_versions(store: VersionStore) -> list[PolicyVersion]:
    """Published versions, newest effective first; the bundled policy until anything is published."""
    return store.versions() or [initial_policy()[0]]


def _status_of(version: PolicyVersion, current: PolicyVersion | None, now: datetime) -> VersionStatus:
    if version.effective_at > now:
        return VersionStatus.UPCOMING
    if current is not None and version.version == current.version:
        return VersionStatus.CURRENT
    return VersionStatus.SUPERSEDED


def _in_force(versions: list[PolicyVersion], now: datetime) -> PolicyVersion | None:
    effective = [v for v in versions if v.effective_at <= now]
    return max(effective, key=lambda v: (v.effective_at, v.version), default=None)


def _summary_of(version: PolicyVersion, status: VersionStatus) -> VersionSummary:
    return VersionSummary(**version.model_dump(exclude={"body_markdown"}), status=status)


def list_versions(store: VersionStore, now: datetime) -> list[VersionSummary]:
    """Every published version, upcoming ones included, newest effective first."""
    versions = _all_versions(store)
    current = _in_force(versions, now)
    return [_summary_of(v, _status_of(v, current, now)) for v in versions]


def _find_version(store: VersionStore, version_id: str) -> tuple[PolicyVersion, list[PolicyVersion]]:
    versions = _all_versions(store)
    found = next((v for v in versions if v.version == version_id), None)
    if found is None:
        raise NotFound(f"policy version {version_id} does not exist", code="version_not_found")
    return found, versions


def version_detail(store: VersionStore, version_id: str, now: datetime) -> VersionDetail:
    version, versions = _find_version(store, version_id)
    status = _status_of(version, _in_force(versions, now), now)
    return VersionDetail(
        **_summary_of(version, status).model_dump(),
        body_markdown=version.body_markdown,
        sections=sections_of(version.body_markdown),
    )


def previous_version(store: VersionStore, version_id: str) -> str | None:
    """The version that this one replaced (the next older by effective date), if any."""
    version, versions = _find_version(store, version_id)
    older = [v for v in versions if (v.effective_at, v.version) < (version.effective_at, version.version)]
    return max(older, key=lambda v: (v.effective_at, v.version)).version if older else None


def publish(draft: PolicyDraft, now: datetime, store: VersionStore) -> tuple[PolicyVersion, bool]:
    """Publish an immutable version and announce it on the bus (`Policy.Published`).

    The announcement is committed with the version (the store writes it to the outbox in the
    same transaction, and the outbox's consumer puts it on the bus), so a published version is
    always announced. Returns the version and whether it was newly created. Publishing the very
    same content again is a replay, not a change: it answers with the stored version and
    announces nothing more. Different content under a published id is a conflict.
    """
    candidate = draft.to_version(published_at=now)
    announcement = PolicyPublished(
        occurred_at=now,
        version=candidate.version,
        significant=candidate.significant,
        effective_at=candidate.effective_at,
    )
    try:
        return store.publish(candidate, now, announcement), True
    except Conflict:
        existing = store.get_version(draft.version)
        if existing is None or not _same_content(existing, draft):
            raise
        return existing, False


def _same_content(version: PolicyVersion, draft: PolicyDraft) -> bool:
    submitted = draft.to_version(published_at=version.published_at or draft.effective_at)
    return version.model_dump(exclude={"published_at"}) == submitted.model_dump(exclude={"published_at"})


# ---------------------------------------------------------------- diff


def _section_key(section: PolicySection) -> str:
    """Match sections across versions by heading text, ignoring a leading number ("6. Your Rights")."""
    return re.sub(r"^\d+(\.\d+)*\.?\s*", "", section.heading).casefold()


def _section_text(section: PolicySection) -> list[str]:
    heading = f"{'#' * section.level} {section.heading}\n" if section.heading else ""
    return (heading + section.markdown + "\n").splitlines(keepends=True)


def diff_versions(store: VersionStore, from_id: str, to_id: str | None, now: datetime) -> PolicyDiff:
    """Section-aware diff between two versions; `to` defaults to the version in force."""
    old, versions = _find_version(store, from_id)
    if to_id is None:
        current = _in_force(versions, now)
        to_id = current.version if current is not None else versions[0].version
    new, _ = _find_version(store, to_id)
    old_sections = {_section_key(s): s for s in sections_of(old.body_markdown)}
    new_sections = {_section_key(s): s for s in sections_of(new.body_markdown)}
    changes: list[SectionChange] = []
    for key, section in new_sections.items():
        before = old_sections.get(key)
        after_lines = _section_text(section)
        before_lines = _section_text(before) if before is not None else []
        if before is None:
            change = "added"
        elif before_lines == after_lines:
            change = "unchanged"
        else:
            change = "changed"
        diff = "" if change == "unchanged" else _unified(before_lines, after_lines, old.version, new.version)
        changes.append(SectionChange(heading=section.heading, change=change, diff=diff))
    for key, section in old_sections.items():
        if key not in new_sections:
            lines = _section_text(section)
            changes.append(
                SectionChange(
                    heading=section.heading, change="removed", diff=_unified(lines, [], old.version, new.version)
                )
            )
    whole = _unified(
        old.body_markdown.splitlines(keepends=True),
        new.body_markdown.splitlines(keepends=True),
        old.version,
        new.version,
    )
    return PolicyDiff(from_version=old.version, to_version=new.version, sections=changes, unified_diff=whole)


def _unified(before: list[str], after: list[str], from_name: str, to_name: str) -> str:
    return "".join(difflib.unified_diff(before, after, fromfile=from_name, tofile=to_name))


# ---------------------------------------------------------------- notices


def list_notices(store: NoticeStore) -> list[Notice]:
    """All notices, past and future included (the admin's view), newest start first."""
    return sorted(store.notices(), key=lambda n: (n.starts_at, n.notice_id), reverse=True)


def current_notices(store: NoticeStore, now: datetime) -> list[Notice]:
    return active_notices(store.notices(), now)


def create_notice(draft: NoticeDraft, store: NoticeStore) -> tuple[Notice, bool]:
    """Create a notice; returns it and whether it is new. With a chosen id, sending the same
    notice again is a replay (not a second banner); different content under a taken id is a conflict."""
    notice_id = draft.notice_id or f"{_slug(draft.title)}-{uuid.uuid4().hex[:8]}"
    notice = draft.to_notice(notice_id)
    try:
        return store.put_notice(notice, must_exist=False), True
    except Conflict:
        if store.get_notice(notice_id) == notice:
            return notice, False
        raise


def update_notice(notice_id: str, fields: NoticeFields, store: NoticeStore) -> Notice:
    return store.put_notice(fields.to_notice(notice_id), must_exist=True)


def delete_notice(notice_id: str, store: NoticeStore) -> None:
    store.delete_notice(notice_id)


def get_notice(notice_id: str, store: NoticeStore) -> Notice:
    notice = store.get_notice(notice_id)
    if notice is None:
        raise NotFound(f"notice {notice_id} does not exist", code="notice_not_found")
    return notice


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:40].strip("-") or "notice"
