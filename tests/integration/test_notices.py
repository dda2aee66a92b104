"""Notices (banners): the admin creates, updates and deletes them; the public sees the active ones."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.harness import ADMIN_IDENTITY, Harness

pytestmark = pytest.mark.integration


def _window(start_days: float, end_days: float | None) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "starts_at": (now + timedelta(days=start_days)).isoformat(),
        "ends_at": None if end_days is None else (now + timedelta(days=end_days)).isoformat(),
    }


_CREATED: list[str] = []


@pytest.fixture(autouse=True)
def _remove_created_notices(stack: Harness) -> Iterator[None]:
    """The stack is shared: leave only the seeded notice active for the other tests."""
    yield
    while _CREATED:
        stack.http("DELETE", f"/v1/admin/notices/{_CREATED.pop()}", identity=ADMIN_IDENTITY)


def _create(stack: Harness, **fields: Any):
    body = {"title": f"Maintenance {uuid.uuid4().hex[:6]}", "severity": "info", **_window(-1, 1), **fields}
    reply = stack.http("POST", "/v1/admin/notices", body, identity=ADMIN_IDENTITY)
    if reply.status == 201:
        _CREATED.append(reply.json()["notice_id"])
    return reply


def _active_ids(stack: Harness) -> list[str]:
    return [n["notice_id"] for n in stack.http("GET", "/v1/notices").json()]


def test_the_seeded_sms_fallback_route_notice_is_listed_as_active(stack: Harness):
    notices = stack.http("GET", "/v1/notices").json()
    assert "Important Notice: SMS Fallback Route" in [n["title"] for n in notices]


def test_created_notice_is_shown_only_inside_its_window(stack: Harness):
    now_notice = _create(stack, title="Planned maintenance tonight", body="The dashboard is read-only 22:00-23:00.")
    future = _create(stack, **_window(2, 3))
    past = _create(stack, **_window(-3, -2))
    assert {now_notice.status, future.status, past.status} == {201}

    active = _active_ids(stack)
    assert now_notice.json()["notice_id"] in active
    assert future.json()["notice_id"] not in active
    assert past.json()["notice_id"] not in active
    shown = next(n for n in stack.http("GET", "/v1/notices").json() if n["notice_id"] == now_notice.json()["notice_id"])
    assert shown["body"] == "The dashboard is read-only 22:00-23:00."


def test_critical_notices_come_before_the_rest(stack: Harness):
    info = _create(stack, severity="info", title="New dashboard").json()["notice_id"]
    critical = _create(stack, severity="critical", title="Security incident update").json()["notice_id"]
    order = [n["notice_id"] for n in stack.http("GET", "/v1/notices").json()]
    assert order.index(critical) < order.index("sms-fallback-route") < order.index(info)


def test_updating_a_notice_changes_what_the_public_sees(stack: Harness):
    notice_id = _create(stack).json()["notice_id"]
    reply = stack.http(
        "PUT",
        f"/v1/admin/notices/{notice_id}",
        {"title": "Rescheduled", "severity": "important", **_window(-1, 5)},
        identity=ADMIN_IDENTITY,
    )
    assert reply.status == 200
    shown = next(n for n in stack.http("GET", "/v1/notices").json() if n["notice_id"] == notice_id)
    assert (shown["title"], shown["severity"]) == ("Rescheduled", "important")

    ended = stack.http(
        "PUT", f"/v1/admin/notices/{notice_id}", {"title": "Over", **_window(-3, -1)}, identity=ADMIN_IDENTITY
    )
    assert ended.status == 200
    assert notice_id not in _active_ids(stack)


def test_deleting_a_notice_removes_it(stack: Harness):
    notice_id = _create(stack).json()["notice_id"]
    assert stack.http("DELETE", f"/v1/admin/notices/{notice_id}", identity=ADMIN_IDENTITY).status == 204
    assert notice_id not in _active_ids(stack)
    again = stack.http("DELETE", f"/v1/admin/notices/{notice_id}", identity=ADMIN_IDENTITY)
    assert again.status == 404
    assert again.json()["error"]["code"] == "notice_not_found"


def test_the_admin_sees_every_notice_including_future_ones(stack: Harness):
    future = _create(stack, **_window(10, 11)).json()["notice_id"]
    listed = [n["notice_id"] for n in stack.http("GET", "/v1/admin/notices", identity=ADMIN_IDENTITY).json()]
    assert future in listed
    one = stack.http("GET", f"/v1/admin/notices/{future}", identity=ADMIN_IDENTITY)
    assert one.status == 200


def test_updating_a_missing_notice_is_a_404(stack: Harness):
    reply = stack.http(
        "PUT", "/v1/admin/notices/no-such-notice", {"title": "x", **_window(0, 1)}, identity=ADMIN_IDENTITY
    )
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "notice_not_found"


def test_a_chosen_notice_id_cannot_be_taken_twice(stack: Harness):
    notice_id = f"outage-{uuid.uuid4().hex[:8]}"
    assert _create(stack, notice_id=notice_id, title="Outage").status == 201
    again = _create(stack, notice_id=notice_id, title="Another outage")
    assert again.status == 409
    assert again.json()["error"]["code"] == "notice_exists"


def test_sending_the_same_notice_again_is_a_replay_not_a_second_banner(stack: Harness):
    notice = {"notice_id": f"retry-{uuid.uuid4().hex[:8]}", "title": "Retried notice", **_window(-1, 1)}
    first = _create(stack, **notice)
    again = _create(stack, **notice)
    assert (first.status, again.status) == (201, 200)
    assert [n["title"] for n in stack.http("GET", "/v1/notices").json()].count("Retried notice") == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"title": ""},
        {"severity": "catastrophic"},
        {"starts_at": "2026-01-01T00:00:00"},  # no UTC offset
        {"starts_at": "2026-01-02T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"},
        {"notice_id": "Not A Slug!"},
        {"colour": "red"},
    ],
    ids=["empty-title", "bad-severity", "naive-time", "ends-before-start", "bad-id", "extra-field"],
)
def test_bad_notices_are_refused_with_a_code(stack: Harness, fields: dict[str, Any]):
    reply = _create(stack, **fields)
    assert reply.status == 422
    assert reply.json()["error"]["code"] == "invalid_request"


def test_notice_changes_need_a_signature(stack: Harness):
    assert stack.http("POST", "/v1/admin/notices", {"title": "x", **_window(0, 1)}).status == 403
    assert stack.http("DELETE", "/v1/admin/notices/sms-fallback-route").status == 403
