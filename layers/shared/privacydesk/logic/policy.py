"""Which policy is current, which notices are active, and how the policy is split into sections."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from importlib import resources
from typing import Protocol

from privacydesk.models.policy import Notice, PolicySection, PolicyVersion, PolicyView

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


class PolicyStore(Protocol):
    def latest_effective(self, now: datetime) -> PolicyVersion | None: ...
    def notices(self) -> list[Notice]: ...


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
