"""`privacydesk tasks list/complete`: what the DPO types becomes the admin API call it should."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from privacydesk.ops import cli
from privacydesk.ops.admin_client import AdminReply


class RecordingClient:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any, Any]] = []

    def call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> AdminReply:
        self.calls.append((method, path, body, query))
        return AdminReply(200, {"ok": True}, "application/json")


def run(*argv: str) -> tuple[int, RecordingClient]:
    client = RecordingClient()
    code, _ = cli.run(cli._parser().parse_args(list(argv)), client)  # type: ignore[arg-type]
    return code, client


def test_tasks_list_asks_for_the_open_tasks():
    code, client = run("tasks", "list")
    assert code == 0
    assert client.calls == [("GET", "/v1/admin/tasks", None, {"request_id": None})]


def test_tasks_complete_sends_the_note_the_count_and_the_attachment(tmp_path: Path):
    file = tmp_path / "tickets.txt"
    file.write_bytes(b"ticket 7")
    code, client = run(
        "tasks", "complete", "req_1/support_desk", "--note", "found two", "--records", "2", "--attachment", str(file)
    )
    assert code == 0
    ((method, path, body, _),) = client.calls
    assert (method, path) == ("POST", "/v1/admin/tasks/req_1/support_desk/complete")
    assert body["note"] == "found two"
    assert body["records"] == 2
    assert body["attachment"] == {"file_name": "tickets.txt", "content_base64": base64.b64encode(b"ticket 7").decode()}
