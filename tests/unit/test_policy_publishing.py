"""Publishing, version status, the section-aware diff and notice ids, with an in-memory store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from privacydesk.kernel.errors import Conflict, NotFound
from privacydesk.kernel.events import DomainEvent, PolicyPublished
from privacydesk.policy.domain import policy
from privacydesk.policy.domain.model import Notice, NoticeDraft, PolicyDraft, PolicyVersion

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
BODY = "# Privacy Policy\n\n## 1. Introduction\n\nHello.\n\n## 2. Rights\n\nAccess and Delete.\n"


class MemoryStore:
    def __init__(self) -> None:
        self.saved: dict[str, PolicyVersion] = {}
        self.notice_list: list[Notice] = []
        self.announced: list[DomainEvent] = []

    def latest_effective(self, now: datetime) -> PolicyVersion | None:
        effective = [v for v in self.saved.values() if v.effective_at <= now]
        return max(effective, key=lambda v: (v.effective_at, v.version), default=None)

    def current_version_id(self, now: datetime) -> str | None:
        found = self.latest_effective(now)
        return found.version if found else None

    def notices(self) -> list[Notice]:
        return list(self.notice_list)

    def versions(self) -> list[PolicyVersion]:
        return sorted(self.saved.values(), key=lambda v: (v.effective_at, v.version), reverse=True)

    def get_version(self, version: str) -> PolicyVersion | None:
        return self.saved.get(version)

    def publish(self, version: PolicyVersion, now: datetime, announcement: DomainEvent | None = None) -> PolicyVersion:
        if version.version in self.saved:
            raise Conflict("taken", code="version_exists")
        self.saved[version.version] = version
        if announcement is not None:
            self.announced.append(announcement)  # committed with the version (the outbox)
        return version


class Bus:
    """What the outbox delivers to the bus: the announcements the store committed."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    @property
    def events(self) -> list[DomainEvent]:
        return self.store.announced


def _draft(version: str, effective: datetime, body: str = BODY, significant: bool = True) -> PolicyDraft:
    return PolicyDraft(
        version=version,
        last_updated=effective.date(),
        effective_at=effective,
        significant=significant,
        summary="Changes.",
        body=body,
    )


def test_publish_announces_the_version_with_its_significance():
    store = MemoryStore()
    bus = Bus(store)
    version, created = policy.publish(_draft("v2", NOW + timedelta(days=30)), NOW, store)
    assert created
    assert version.published_at == NOW
    assert bus.events == [
        PolicyPublished(occurred_at=NOW, version="v2", significant=True, effective_at=NOW + timedelta(days=30))
    ]


def test_same_content_again_is_a_replay_and_announces_nothing_more():
    # [issue 16] the first publish's announcement is committed with it, so a replay need not repeat it.
    store = MemoryStore()
    bus = Bus(store)
    policy.publish(_draft("v2", NOW), NOW, store)
    version, created = policy.publish(_draft("v2", NOW), NOW + timedelta(minutes=5), store)
    assert not created
    assert version.published_at == NOW
    assert len(bus.events) == 1


def test_different_content_under_a_published_id_is_a_conflict_and_announces_nothing():
    store = MemoryStore()
    bus = Bus(store)
    policy.publish(_draft("v2", NOW), NOW, store)
    with pytest.raises(Conflict):
        policy.publish(_draft("v2", NOW, body=BODY + "\nMore.\n"), NOW, store)
    assert len(bus.events) == 1


def test_status_tells_current_upcoming_and_superseded_apart():
    store = MemoryStore()
    for name, effective in (
        ("old", NOW - timedelta(days=60)),
        ("now", NOW - timedelta(days=1)),
        ("next", NOW + timedelta(days=9)),
    ):
        policy.publish(_draft(name, effective), NOW, store)
    statuses = {v.version: v.status.value for v in policy.list_versions(store, NOW)}
    assert statuses == {"next": "upcoming", "now": "current", "old": "superseded"}
    assert policy.current_version_id(store, NOW) == "now"
    assert policy.previous_version(store, "next") == "now"
    assert policy.previous_version(store, "old") is None


def test_without_any_published_version_the_bundled_policy_is_listed_and_current():
    store = MemoryStore()
    assert [v.version for v in policy.list_versions(store, NOW)] == ["2025-11-30"]
    assert policy.current_version_id(store, NOW) == "2025-11-30"
    assert policy.version_detail(store, "2025-11-30", NOW).status.value == "current"


def test_unknown_version_is_not_found():
    with pytest.raises(NotFound) as raised:
        policy.version_detail(MemoryStore(), "nope", NOW)
    assert raised.value.code == "version_not_found"


def test_diff_matches_sections_even_when_they_are_renumbered():
    store = MemoryStore()
    policy.publish(_draft("a", NOW - timedelta(days=2)), NOW, store)
    renumbered = (
        "# Privacy Policy\n\n## 1. Introduction\n\nHello.\n\n"
        "## 2. Cookies\n\nNone.\n\n## 3. Rights\n\nAccess, Update and Delete.\n"
    )
    policy.publish(_draft("b", NOW - timedelta(days=1), body=renumbered), NOW, store)
    diff = policy.diff_versions(store, "a", "b", NOW)
    changes = {s.heading: s.change for s in diff.sections}
    assert changes == {
        "Privacy Policy": "unchanged",
        "1. Introduction": "unchanged",
        "2. Cookies": "added",
        "3. Rights": "changed",
    }
    rights = next(s for s in diff.sections if s.heading == "3. Rights")
    assert "-Access and Delete." in rights.diff
    assert "+Access, Update and Delete." in rights.diff


def test_diff_lists_removed_sections():
    store = MemoryStore()
    policy.publish(_draft("a", NOW - timedelta(days=2)), NOW, store)
    policy.publish(
        _draft("b", NOW - timedelta(days=1), body="# Privacy Policy\n\n## 1. Introduction\n\nHello.\n"), NOW, store
    )
    removed = [s for s in policy.diff_versions(store, "a", None, NOW).sections if s.change == "removed"]
    assert [s.heading for s in removed] == ["2. Rights"]
    assert "-Access and Delete." in removed[0].diff


class NoticeMemory:
    def __init__(self) -> None:
        self.saved: dict[str, Notice] = {}

    def notices(self) -> list[Notice]:
        return list(self.saved.values())

    def get_notice(self, notice_id: str) -> Notice | None:
        return self.saved.get(notice_id)

    def put_notice(self, notice: Notice, *, must_exist: bool | None = None) -> Notice:
        self.saved[notice.notice_id] = notice
        return notice

    def delete_notice(self, notice_id: str) -> None:
        self.saved.pop(notice_id)


def test_a_notice_without_an_id_gets_one_from_its_title():
    draft = NoticeDraft(title="Important Notice: SMS Fallback Route!", starts_at=NOW)
    notice, created = policy.create_notice(draft, NoticeMemory())
    assert created
    assert notice.notice_id.startswith("important-notice-sms-fallback-route-")


def test_a_notice_must_end_after_it_starts():
    with pytest.raises(ValueError, match="ends_at must be after starts_at"):
        NoticeDraft(title="x", starts_at=NOW, ends_at=NOW)


def test_versions_need_an_offset_on_their_effective_time():
    with pytest.raises(ValueError, match="timezone"):
        PolicyDraft(
            version="v",
            last_updated=date(2026, 1, 1),
            effective_at=datetime(2026, 1, 1),
            significant=False,
            summary="s",
            body="b",
        )
