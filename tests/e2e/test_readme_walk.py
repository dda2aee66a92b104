"""A newcomer's first session, as the README tells it, on a fresh stand-in started as `make run` starts it
(a user's environment, nothing exported): the policy, a request submitted and verified, an inbound
email over SMTP, `make tick`, a significant policy publish, the compliance report (the README's own
curl command), and then every route of both APIs and the page still answers without a 5xx.

Issue 15: any of the email, the tick or the publish used to make every route answer 500 until restart.
"""

from __future__ import annotations

import json
import re
import shutil
import smtplib
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support.harness import ROOT
from tests.support.standin import RunningStack, stand_in, user_environment

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
README_HOST = "127.0.0.1:3000"
REGISTERED_SENDER = "ben.cruz@example.com"  # a seeded account (local/seed.py)
SEED_POLICY = ROOT / "layers/shared/privacydesk/data/policy/2025-11-30.md"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with stand_in(tmp_path_factory.mktemp("readme")) as stack:
        yield stack


def signed(method: str, url: str, region: str, body: bytes = b"") -> dict[str, str]:
    headers = {"content-type": "application/json"} if body else {}
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(Credentials("testing", "testing"), "execute-api", region).add_auth(request)
    return dict(request.headers.items())


def call(running: RunningStack, method: str, path: str, *, admin: bool = False, json_body: Any = None) -> Any:
    """One HTTP call, retried once past API Gateway's throttle (a 429 is not an answer from the function)."""
    url = f"{running.api}{path}"
    body = b"" if json_body is None else json.dumps(json_body).encode()
    for _attempt in range(5):
        headers = signed(method, url, running.info["region"], body) if admin else {}
        if body and not admin:
            headers["content-type"] = "application/json"
        reply = requests.request(method, url, data=body or None, headers=headers, timeout=60)
        if reply.status_code != 429:
            return reply
        time.sleep(2.5)
    return reply


def readme_command(starting_with: str) -> str:
    """The README's shell command that starts with `starting_with`, continuation lines joined."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(starting_with))
    command = []
    for line in lines[start:]:
        command.append(line.rstrip("\\").rstrip())
        if not line.endswith("\\"):
            break
    return " ".join(command)


def on(running: RunningStack, command: str) -> str:
    """A README command pointed at this stand-in instead of the default port."""
    return command.replace(README_HOST, urlsplit(running.api).netloc).replace(
        ".local/stack.json", str(running.stack_file)
    )


def every_route(running: RunningStack, openapi_path: str, admin: bool) -> list[tuple[str, str]]:
    spec = call(running, "GET", openapi_path, admin=admin).json()
    found = []
    for path, operations in spec["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "does-not-exist", path)
        found.extend((method.upper(), concrete) for method in operations if method in ("get", "post", "put", "delete"))
    return found


def test_the_readme_walked_command_by_command_never_answers_5xx(fresh: RunningStack):
    # Try it: the policy.
    assert call(fresh, "GET", "/v1/policy").status_code == 200

    # A data-rights request: submit, then the emailed link (absolute, to this stand-in), then verify.
    email = f"walk-{uuid.uuid4().hex[:8]}@example.org"
    submitted = call(fresh, "POST", "/v1/requests", json_body={"type": "delete", "email": email})
    assert submitted.status_code == 202, submitted.text
    (confirmation,) = fresh.outbox(to=email)
    link = re.search(r"(\S+/privacy/verify\?\S+)", confirmation["text"]).group(1)
    assert link.startswith(f"{fresh.api}/privacy/verify?")
    assert requests.get(link, timeout=30).status_code == 200
    token = parse_qs(urlsplit(link).query)["token"][0]
    verified = call(fresh, "POST", f"/v1/requests/{submitted.json()['request_id']}/verify", json_body={"token": token})
    assert verified.json()["status"] == "verified"

    # The DPO's CLI, as the README runs it (it says which status it lists by default).
    cli = subprocess.run(
        [sys.executable, "-m", "privacydesk.ops.cli", "--stack-file", str(fresh.stack_file), "requests", "list"],
        cwd=ROOT,
        env=user_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert "listing verified requests (the default" in cli.stderr

    # Requests by email: one message over SMTP from a registered account.
    message = EmailMessage()
    message["From"] = REGISTERED_SENDER
    message["To"] = "privacy@example.com"
    message["Subject"] = "Delete my data"
    message["Authentication-Results"] = "mx.example; spf=pass; dkim=pass; dmarc=pass"
    message.set_content("Please delete all my personal data.")
    before = len(fresh.outbox(to=REGISTERED_SENDER))
    with smtplib.SMTP(fresh.info["smtp"]["host"], fresh.info["smtp"]["port"], timeout=60) as smtp:
        smtp.send_message(message)
    deadline = time.monotonic() + 60
    while len(fresh.outbox(to=REGISTERED_SENDER)) == before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(fresh.outbox(to=REGISTERED_SENDER)) > before

    # `make tick`: every schedule fires and exits 0.
    tick = subprocess.run(
        [sys.executable, "-m", "local.tick", "--stack-file", str(fresh.stack_file)],
        cwd=ROOT,
        env=user_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert tick.returncode == 0, tick.stderr[-2000:]

    # A significant policy version, published through the admin API.
    now = datetime.now(UTC)
    draft = {
        "version": f"2099-01-01.{uuid.uuid4().hex[:8]}",
        "last_updated": now.date().isoformat(),
        "effective_at": (now + timedelta(days=30)).isoformat(),
        "significant": True,
        "summary": "Delivery reports are now kept for 180 days.",
        "body": SEED_POLICY.read_text().replace("30 days.", "30 days, and usually within 7."),
    }
    published = call(fresh, "POST", "/v1/admin/policy/versions", admin=True, json_body=draft)
    assert published.status_code in (200, 201), published.text
    fresh.drain()

    # The compliance report: the README's own curl command, with the curl this machine ships.
    if shutil.which("curl"):
        report = subprocess.run(
            ["bash", "-c", on(fresh, readme_command('curl --aws-sigv4 "aws:amz'))],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert report.returncode == 0, report.stderr
        assert "Forbidden" not in report.stdout  # the gateway checks SigV4 as AWS does: sorted query
        header, first_row = report.stdout.splitlines()[:2]
        assert header == "section,key,value,detail"
        assert first_row.startswith("period,from,2026-01-01")

    # Afterwards every route still answers, none with a 5xx.
    answers = {}
    for method, path in every_route(fresh, "/v1/openapi.json", admin=False):
        answers[f"{method} {path}"] = call(fresh, method, path).status_code
    for method, path in every_route(fresh, "/v1/admin/openapi.json", admin=True):
        answers[f"{method} {path} (signed)"] = call(fresh, method, path, admin=True).status_code
    for path in ("/privacy", "/privacy/verify", "/privacy/status", "/privacy/static/privacy.css", "/v1/health"):
        answers[f"GET {path}"] = call(fresh, "GET", path).status_code
    assert len(answers) > 20
    assert {route: status for route, status in answers.items() if status >= 500} == {}
    assert answers["GET /v1/health"] == 200


MOTO_REQUEST_LINE = re.compile(r'"(GET|POST|PUT|DELETE|HEAD) \S+ HTTP/1\.1" \d{3}')


def test_the_console_keeps_the_banner_and_errors_while_motos_log_goes_to_a_file(fresh: RunningStack):
    console = fresh.logs()
    moto_log = (fresh.stack_file.parent / "moto.log").read_text()

    assert "PrivacyDesk is running on its local AWS stand-in" in console
    assert not MOTO_REQUEST_LINE.search(console)
    assert "not supported by moto's CloudFormation" not in console
    assert MOTO_REQUEST_LINE.search(moto_log)


# Last in this module: the tests below break the stand-in on purpose (the requests table is deleted, as
# a botched deploy or a wrong name would leave it), so a function fails the way it would on AWS.


@pytest.fixture(scope="module")
def requests_table_gone(fresh: RunningStack) -> RunningStack:
    import boto3

    dynamodb = boto3.client(
        "dynamodb",
        region_name=fresh.info["region"],
        endpoint_url=fresh.info["endpoint_url"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # nosec B106 - moto's fake credentials
    )
    table = fresh.info["physical"]["RequestsTable"]
    # The evidence tables are deletion-protected (issue 17): an operator lifts that first.
    dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName=table)
    return fresh


def _local(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=user_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_make_tick_exits_non_zero_naming_the_function_that_failed_and_why(requests_table_gone: RunningStack):
    tick = _local(
        "local.tick", "--stack-file", str(requests_table_gone.stack_file), "--function", "DeadlineMonitorFunction"
    )

    assert tick.returncode == 1
    assert "FAILED DeadlineMonitorFunction: FunctionError: DeadlineMonitorFunction failed: " in tick.stderr
    assert "ResourceNotFoundException" in tick.stderr


def test_make_invoke_exits_non_zero_naming_the_function_and_why(requests_table_gone: RunningStack):
    invoke = _local(
        "local.invoke",
        "DeadlineMonitorFunction",
        "events/deadline_monitor/scheduler_hourly.json",
        "--stack-file",
        str(requests_table_gone.stack_file),
    )

    assert invoke.returncode == 1
    # the function's own log (its traceback) comes first, as `sam local invoke` shows it; then the verdict
    verdict = invoke.stderr.splitlines()[-1]
    assert verdict.startswith("FAILED DeadlineMonitorFunction failed: ")
    assert "ResourceNotFoundException" in verdict


def test_a_function_that_failed_leaves_every_other_one_answering(requests_table_gone: RunningStack):
    _local("local.tick", "--stack-file", str(requests_table_gone.stack_file))  # fails, as above

    assert call(requests_table_gone, "GET", "/v1/health").status_code == 200
    assert call(requests_table_gone, "GET", "/v1/policy").status_code == 200
    assert call(requests_table_gone, "GET", "/privacy").status_code == 200
