"""The real stand-in (`python -m local.run`), started once per session on free loopback ports.

Started as a user's `make run` starts it: with the environment a user's shell has (PATH, HOME, LANG)
and nothing else, so no test passes because of a variable the product would not set.
Shared by tests/e2e and tests/browser through the `running` fixture in tests/conftest.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.harness import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def user_environment() -> dict[str, str]:
    """What a newcomer's shell exports: no AWS, Powertools or PrivacyDesk variable."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),  # nosec B108 - only where HOME is unset
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }


@dataclass
class RunningStack:
    info: dict[str, Any]
    stack_file: Path
    log_file: Path

    @property
    def api(self) -> str:
        return str(self.info["api_url"])

    def aws(self, service: str) -> Any:
        """A boto3 client of this stand-in's AWS (moto on loopback), with the stand-in's fake keys."""
        import boto3

        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.info["endpoint_url"],
            region_name=self.info["region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        params = {"to": to} if to else {}
        reply = requests.get(f"{self.api}/_local/outbox", params=params, timeout=30)
        reply.raise_for_status()
        messages: list[dict[str, Any]] = reply.json()
        return messages

    def drain(self) -> None:
        requests.post(f"{self.api}/_local/drain", timeout=120).raise_for_status()

    def tick(self, function: str | None = None) -> Any:
        reply = requests.post(f"{self.api}/_local/tick", params={"function": function} if function else {}, timeout=300)
        reply.raise_for_status()
        return reply.json()

    def logs(self) -> str:
        return self.log_file.read_text(errors="replace")

    def cli(self, *args: str) -> tuple[int, Any]:
        """`privacydesk --stack-file <this stand-in's> ...` as a user runs it: exit code and JSON output."""
        result = subprocess.run(
            [sys.executable, "-m", "privacydesk.ops.cli", "--stack-file", str(self.stack_file), *args],
            cwd=ROOT,
            env=user_environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return result.returncode, json.loads(result.stdout)


@contextmanager
def stand_in(folder: Path, *extra_args: str) -> Iterator[RunningStack]:
    """`python -m local.run` on free loopback ports, stopped when the context ends."""
    stack_file = folder / "stack.json"
    log_file = folder / "standin.log"
    port, smtp_port = _free_port(), _free_port()
    env = user_environment()
    command = [sys.executable, "-m", "local.run", "--port", str(port), "--smtp-port", str(smtp_port)]
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [*command, "--stack-file", str(stack_file), *extra_args],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 180
        while not stack_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stand-in did not start:\n{log_file.read_text()[-4000:]}")
            time.sleep(0.2)
        yield RunningStack(json.loads(stack_file.read_text()), stack_file, log_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with stand_in(tmp_path_factory.mktemp("standin")) as stack:
        yield stack
