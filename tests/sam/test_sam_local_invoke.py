"""`sam local invoke` for real: one event of every function in template.yaml, run by SAM CLI in its own
Lambda container, against a stand-in started as a user starts it (README, "sam local invoke").

Needs what `make sam-ready` provides: a Docker engine, the locally built base image and an x86_64/arm64
build of this machine's architecture in .aws-sam/sam-local. Without them it fails in CI (CI=true)
and, elsewhere, says so loudly and skips.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local import sam_template
from local.seed import DEMO_ACCOUNTS
from tests.support.harness import EVENTS, ROOT
from tests.support.standin import RunningStack, stand_in
from tools.sam_local.sam_env import Forwarder, bridge_gateway, function_env_vars, moto_address

pytestmark = pytest.mark.sam

SAM = ROOT / ".tools" / "sam" / "bin" / "sam"
BUILD_TEMPLATE = ROOT / ".aws-sam" / "sam-local" / "template.yaml"
ARCHITECTURE = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
BASE_IMAGE = f"public.ecr.aws/lambda/python:3.12-{ARCHITECTURE}"
# Each invoke starts a container (about 20 s alone); more at once only queue on a 2-core machine.
CONCURRENT_INVOKES = 3
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # moto's


@dataclass(frozen=True)
class Invocation:
    function: str
    returncode: int
    response: Any  # the function's answer, as SAM CLI prints it on stdout
    logs: str  # SAM CLI's and the function's own log lines (stderr)
    seconds: float

    def answer(self) -> Any:
        assert self.returncode == 0, f"sam local invoke {self.function} exited {self.returncode}:\n{self.logs[-3000:]}"
        assert isinstance(self.response, dict), f"{self.function} gave no JSON answer:\n{self.logs[-3000:]}"
        assert "errorType" not in self.response, f"{self.function} failed: {self.response}\n{self.logs[-3000:]}"
        return self.response

    def http_answer(self) -> tuple[int, dict[str, str], Any]:
        answer = self.answer()
        return answer["statusCode"], answer.get("headers", {}), json.loads(answer.get("body") or "null")


@dataclass
class SamRun:
    running: RunningStack
    invocations: dict[str, Invocation]
    events: dict[str, Any]

    def table(self, logical_id: str) -> Any:
        info = self.running.info
        resource = boto3.resource(
            "dynamodb",
            endpoint_url=info["endpoint_url"],
            region_name=info["region"],
            aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        return resource.Table(info["physical"][logical_id])


def _say(config: pytest.Config, text: str) -> None:
    """Straight to the terminal, past pytest's capture (which holds fd 2 too)."""
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(text, file=sys.stderr, flush=True)


def _not_ready(config: pytest.Config, reason: str) -> None:
    message = (
        f"sam local invoke tests NOT RUN: {reason}. `make sam-ready` installs and starts what they need "
        "(as root: Debian's docker.io, dockerd, the base image, the local build)."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    # Loud, so nobody mistakes a skipped suite for a passing one.
    banner = "!" * 100
    _say(config, f"\n{banner}\n{message}\n{banner}")
    pytest.skip(message)


def _check_ready(config: pytest.Config) -> None:
    if not SAM.exists():
        _not_ready(config, "SAM CLI is not installed (.tools/sam)")
    engine = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60, check=False)
    if engine.returncode != 0:
        _not_ready(config, f"no Docker engine answers ({engine.stderr.strip()[-200:]})")
    image = subprocess.run(["docker", "image", "inspect", BASE_IMAGE], capture_output=True, timeout=60, check=False)
    if image.returncode != 0:
        _not_ready(config, f"the base image {BASE_IMAGE} is not built")
    if not BUILD_TEMPLATE.exists():
        _not_ready(config, f"no {ARCHITECTURE} build in {BUILD_TEMPLATE.parent.relative_to(ROOT)}")


def _event(path: str) -> Any:
    return json.loads((EVENTS / path).read_text())


def _events(stack_info: dict[str, Any]) -> dict[str, Any]:
    """One event of each function, from events/ (the TTL stream's record names this stand-in's table)."""
    # The stream record names the table it comes from; here, this stand-in's technical-events table.
    ttl_deletions = _event("retention_ttl_accounting/ttl_deletions.json")
    for record in ttl_deletions["Records"]:
        record["eventSourceARN"] = stack_info["attributes"]["TechnicalEventsTable"]["StreamArn"]
    outbox = _event("request_outbox/outbox_insert.json")  # a Request.Received committed to the outbox
    for record in outbox["Records"]:
        record["eventSourceARN"] = stack_info["attributes"]["OutboxTable"]["StreamArn"]
    return {
        "PublicApiFunction": _event("public_api/get_policy.json"),
        "AdminApiFunction": _event("admin_api/create_notice.json"),
        "EmailIntakeFunction": _event("email_intake/deletion_request.json"),
        "FulfilmentFunction": _event("fulfilment/request_verified.json"),
        "NoticeSenderFunction": _event("notice_sender/recipient_batch.json"),
        "NoticeDispatchFunction": _event("notice_dispatch/policy_published_significant.json"),
        "SesFeedbackFunction": _event("ses_feedback/bounce_permanent.json"),
        "NoticeAcceptanceFunction": _event("notice_acceptance/daily_schedule.json"),
        "RetentionSweepFunction": _event("retention_sweep/scheduled.json"),
        "RetentionTtlAccountingFunction": ttl_deletions,
        "DeadlineMonitorFunction": _event("deadline_monitor/scheduler_hourly.json"),
        "RequestOutboxFunction": outbox,
    }


def _sam_local_invoke(function: str, event_file: Path, env_file: Path, region: str) -> Invocation:
    """The README's command, as a developer types it."""
    started = time.monotonic()
    result = subprocess.run(
        [
            str(SAM),
            "local",
            "invoke",
            function,
            "-e",
            str(event_file),
            "-n",
            str(env_file),
            "-t",
            str(BUILD_TEMPLATE),
            "--skip-pull-image",
            "--parameter-overrides",
            f"FunctionArchitecture={ARCHITECTURE}",
            "--region",
            region,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, **LOCAL_CREDENTIALS, "SAM_CLI_TELEMETRY": "0"},
    )
    try:
        response = json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else None
    except json.JSONDecodeError:
        response = None
    return Invocation(function, result.returncode, response, result.stderr, time.monotonic() - started)


@pytest.fixture(scope="module")
def sam_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamRun]:
    _check_ready(request.config)
    folder = tmp_path_factory.mktemp("sam")
    with stand_in(folder) as running:
        forwarder = Forwarder(bridge_gateway(), moto_address(running.info)).start()
        try:
            env_file = folder / "sam-env.json"
            env_file.write_text(json.dumps(function_env_vars(running.info, forwarder.url)))
            events = _events(running.info)
            event_files = {}
            for function, event in events.items():
                event_files[function] = folder / f"{function}.json"
                event_files[function].write_text(json.dumps(event))

            def invoke(function: str) -> Callable[[], Invocation]:
                return lambda: _sam_local_invoke(function, event_files[function], env_file, running.info["region"])

            # The first builds SAM CLI's own image on top of the base; the others reuse it.
            first = invoke("PublicApiFunction")()
            with ThreadPoolExecutor(CONCURRENT_INVOKES) as pool:
                futures: dict[str, Future[Invocation]] = {
                    name: pool.submit(invoke(name)) for name in events if name != first.function
                }
            invocations = {first.function: first, **{name: future.result() for name, future in futures.items()}}
            # The stand-in's own consumers (queues, rules) finish what the invocations started.
            running.drain()
            timing = ", ".join(f"{name} {inv.seconds:.0f} s" for name, inv in invocations.items())
            _say(request.config, f"\nsam local invoke, seconds each: {timing}")
            yield SamRun(running, invocations, events)
        finally:
            forwarder.stop()


def _outbox_to(run: SamRun, account_id: str) -> list[dict[str, Any]]:
    """Mail the stand-in's SES holds for a seeded account (matched here, so no address is printed)."""
    (account,) = (a for a in DEMO_ACCOUNTS if a["account_id"] == account_id)
    return [message for message in run.running.outbox() if account["email"] in message["to"]]


def _log_records(invocation: Invocation) -> list[dict[str, Any]]:
    """The function's structured (Powertools) log lines, as SAM CLI shows them."""
    records = []
    for line in invocation.logs.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                records.append(json.loads(line))
    return records


def test_every_function_in_the_template_is_invoked(sam_run: SamRun):
    assert set(sam_run.invocations) == set(sam_template.functions())


def test_public_api_answers_the_stand_ins_policy(sam_run: SamRun):
    status, headers, body = sam_run.invocations["PublicApiFunction"].http_answer()

    served = requests.get(f"{sam_run.running.api}/v1/policy", timeout=30).json()
    assert status == 200
    assert body["version"] == served["version"]
    assert body["body_markdown"] == served["body_markdown"]
    assert headers["X-Privacy-Policy-Version"] == served["version"]


def test_admin_api_creates_the_notice_in_the_stand_ins_policy_table(sam_run: SamRun):
    status, _, body = sam_run.invocations["AdminApiFunction"].http_answer()

    sent = json.loads(sam_run.events["AdminApiFunction"]["body"])
    assert status == 201
    assert body["notice_id"] == sent["notice_id"]
    stored = sam_run.table("PolicyTable").get_item(Key={"pk": "NOTICE", "sk": sent["notice_id"]}).get("Item")
    assert stored is not None
    assert stored["body"] == sent["body"]


def test_email_intake_opens_a_request_and_asks_the_sender_to_verify(sam_run: SamRun):
    (result,) = sam_run.invocations["EmailIntakeFunction"].answer()["results"]

    assert (result["outcome"], result["type"], result["status"]) == ("request", "delete", "pending_verification")
    stored = sam_run.table("RequestsTable").get_item(Key={"request_id": result["request_id"]}).get("Item")
    assert stored is not None
    assert stored["status"] == "pending_verification"
    verification = [m for m in _outbox_to(sam_run, "acct-ana") if m["headers"].get("X-PrivacyDesk-Request")]
    assert [m["headers"]["X-PrivacyDesk-Request"] for m in verification] == [result["request_id"]]


def test_fulfilment_acknowledges_a_verified_event_for_a_request_it_does_not_hold(sam_run: SamRun):
    answer = sam_run.invocations["FulfilmentFunction"].answer()

    event_body = json.loads(sam_run.events["FulfilmentFunction"]["Records"][0]["body"])
    request_id = event_body["detail"]["request_id"]
    assert answer == {"batchItemFailures": []}
    assert "Item" not in sam_run.table("RequestsTable").get_item(Key={"request_id": request_id})


def test_notice_sender_never_mails_a_minor_change(sam_run: SamRun):
    invocation = sam_run.invocations["NoticeSenderFunction"]

    assert invocation.answer() == {"batchItemFailures": []}
    (batch,) = (line for line in _log_records(invocation) if line.get("message") == "notice batch")
    assert batch["outcomes"] == {"minor_change": 1}
    assert _outbox_to(sam_run, "acct-carla") == []


def test_notice_dispatch_queues_every_other_account_for_a_significant_version(sam_run: SamRun):
    answer = sam_run.invocations["NoticeDispatchFunction"].answer()

    version = sam_run.events["NoticeDispatchFunction"]["detail"]["version"]
    assert answer["result"] == "completed"
    assert answer["version"] == version
    assert answer["queued"] >= 1
    run = sam_run.table("DeliveryLedgerTable").get_item(Key={"version": version, "account_id": "#run"}).get("Item")
    assert run is not None


def test_ses_feedback_suppresses_a_permanently_bounced_address(sam_run: SamRun):
    answer = sam_run.invocations["SesFeedbackFunction"].answer()

    assert (answer["event_type"], answer["suppressed"]) == ("Bounce", 1)
    assert sam_run.table("SuppressionTable").scan()["Count"] == 1


def test_notice_acceptance_runs_its_daily_schedule(sam_run: SamRun):
    assert sam_run.invocations["NoticeAcceptanceFunction"].answer() == {"versions": []}


def test_retention_sweep_completes_every_store_without_failures(sam_run: SamRun):
    answer = sam_run.invocations["RetentionSweepFunction"].answer()

    assert answer["complete"] is True
    assert answer["stores"]
    assert all(store["complete"] and store["failed"] == 0 for store in answer["stores"]), answer["stores"]


def test_retention_ttl_accounting_records_ttl_deletions_by_store_and_day(sam_run: SamRun):
    answer = sam_run.invocations["RetentionTtlAccountingFunction"].answer()

    records = sam_run.events["RetentionTtlAccountingFunction"]["Records"]
    day = datetime.fromtimestamp(records[0]["dynamodb"]["ApproximateCreationDateTime"], UTC).date()
    assert answer == {"ttl_deleted": {"technical_events": 2}}  # the third record is a user's delete
    audit = sam_run.table("AuditTable").query(
        KeyConditionExpression="stream_id = :stream",
        ExpressionAttributeValues={":stream": f"retention-ttl#technical_events#{day}"},
    )
    assert audit["Count"] >= 1


def test_deadline_monitor_checks_at_the_scheduled_time(sam_run: SamRun):
    answer = sam_run.invocations["DeadlineMonitorFunction"].answer()

    scheduled = sam_run.events["DeadlineMonitorFunction"]["time"]
    assert datetime.fromisoformat(answer["now"]) == datetime.fromisoformat(scheduled)


def test_request_outbox_delivers_a_committed_event_without_failures(sam_run: SamRun):
    invocation = sam_run.invocations["RequestOutboxFunction"]
    assert invocation.answer() == {"batchItemFailures": []}
