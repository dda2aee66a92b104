"""[issue 16] The outbox DLQ has a redrive path. A record the outbox stream gave up on (its retries
exhausted while SES refused the message) lands in OutboxDeadLetterQueue as a stream position;
`privacydesk dlq redrive OutboxDeadLetterQueue` redelivers the outbox items still unsent, once,
and a second redrive sends nothing more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.provision import write_stack_file
from privacydesk.ops import cli
from tests.support.faults import SES_THROTTLED, Fault, inject, mentions
from tests.support.flows import submit, unique_email
from tests.support.harness import Harness

pytestmark = pytest.mark.integration

DLQ = "OutboxDeadLetterQueue"
STREAM_RETRIES = 10  # the OutboxInserts event source's MaximumRetryAttempts


def privacydesk(stack_file: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    """The operator's command, as typed (`privacydesk --stack-file ... dlq ...`)."""
    capsys.readouterr()
    code = cli.main(["--stack-file", str(stack_file), *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def stack_file(stack: Harness, tmp_path: Path) -> Path:
    path = tmp_path / "stack.json"
    write_stack_file(
        stack.stack, path, credentials={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    )
    return path


def listed(stack_file: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, queues = privacydesk(stack_file, capsys, "dlq", "list")
    assert code == 0
    return dict(next(q for q in queues if q["name"] == DLQ))


def links_to(stack: Harness, email: str) -> list[str]:
    return [m["subject"] for m in stack.outbox(to=email) if "/privacy/verify?" in m["text"]]


def redrive(stack_file: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, result = privacydesk(stack_file, capsys, "dlq", "redrive", DLQ, "--min-age-seconds", "0")
    assert code == 0, result
    return dict(result)


def test_a_link_whose_stream_record_exhausted_its_retries_is_sent_once_by_redrive(
    stack: Harness, stack_file: Path, capsys
):
    stack.deliver_outbox(rounds=3)  # what earlier tests left on the stream is theirs
    email = unique_email("outbox-dlq")
    before = listed(stack_file, capsys)
    assert before["redrivable"] is True
    assert before["stream_of"] == "OutboxTable"
    with inject(Fault("sesv2", "SendEmail", SES_THROTTLED, when=mentions(email))):
        assert submit(stack, type="delete", email=email).status == 202
        stack.deliver_outbox(rounds=STREAM_RETRIES + 1)
    assert links_to(stack, email) == []
    assert listed(stack_file, capsys)["messages"] > before["messages"]

    first = redrive(stack_file, capsys)
    assert first["handed_on"] >= 1
    stack.deliver_outbox(rounds=2)
    assert len(links_to(stack, email)) == 1
    assert listed(stack_file, capsys)["messages"] == 0

    again = redrive(stack_file, capsys)  # idempotent: nothing unsent is left to hand on
    assert again["handed_on"] == 0
    stack.deliver_outbox(rounds=2)
    assert len(links_to(stack, email)) == 1
