"""The stand-in as a developer meets it: HTTP on loopback, stack.json, make invoke, SMTP."""

from __future__ import annotations

import json
import smtplib
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import boto3
import pytest
import requests

from local import sam_template
from local.gateway import throttle_from_template
from tests.e2e.conftest import RunningStack
from tests.support.harness import ROOT

pytestmark = pytest.mark.e2e


def test_policy_is_served_over_http_with_last_updated(running: RunningStack):
    reply = requests.get(f"{running.api}/v1/policy", timeout=10)
    assert reply.status_code == 200
    assert reply.json()["last_updated"] == "2025-11-30"


def test_stack_file_lists_every_resource_of_the_template(running: RunningStack):
    # This stand-in runs with the template's default parameters: a resource under a false condition
    # (a webhook store's secret, when the default data map has no webhook store) is not created.
    defaults = sam_template.Resolver({}, {}, sam_template.parameter_defaults(), "ap-southeast-1", "123456789012")
    declared = {
        name
        for name, resource in sam_template.load()["Resources"].items()
        # The HTTP API is served by the stand-in itself; moto has no API Gateway v2 in CloudFormation.
        # Bucket policies: moto's CloudFormation has none (see local/provision.py).
        if resource["Type"] not in ("AWS::Serverless::HttpApi", "AWS::S3::BucketPolicy")
        and ("Condition" not in resource or defaults.condition(resource["Condition"]))
    }
    assert declared - set(running.info["physical"]) == set()
    for key in ("api_url", "smtp", "endpoint_url", "region", "credentials"):
        assert running.info[key]


def test_tables_carry_their_ttl_on_the_stand_in(running: RunningStack):
    dynamodb = boto3.client("dynamodb", region_name=running.info["region"], endpoint_url=running.info["endpoint_url"])
    ttl = dynamodb.describe_time_to_live(TableName=running.info["physical"]["AccountsTable"])
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_buckets_are_versioned_on_the_stand_in(running: RunningStack):
    s3 = boto3.client("s3", region_name=running.info["region"], endpoint_url=running.info["endpoint_url"])
    versioning = s3.get_bucket_versioning(Bucket=running.info["physical"]["ExportBucket"])
    assert versioning["Status"] == "Enabled"


def test_make_invoke_runs_the_public_api_with_an_event_file(running: RunningStack):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "local.invoke",
            "PublicApiFunction",
            "events/public_api/get_policy.json",
            "--stack-file",
            str(running.stack_file),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    reply = json.loads(result.stdout[result.stdout.index('{\n  "statusCode"') :])
    assert reply["statusCode"] == 200
    assert json.loads(reply["body"])["version"] == "2025-11-30"


def test_smtp_messages_are_kept_raw_in_the_inbound_bucket(running: RunningStack):
    message = EmailMessage()
    message["From"] = "someone@example.org"
    message["To"] = "privacy@example.com"
    message["Subject"] = "hello"
    message.set_content("A question about my data.")
    with smtplib.SMTP(running.info["smtp"]["host"], running.info["smtp"]["port"], timeout=30) as client:
        client.send_message(message)
    s3 = boto3.client("s3", region_name=running.info["region"], endpoint_url=running.info["endpoint_url"])
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=running.info["physical"]["InboundMailBucket"]).get("Contents", [])
    ]
    assert any(k.startswith("inbound/") for k in keys)


def _signed(method: str, url: str, region: str, body: bytes = b"") -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, data=body, headers={"content-type": "application/json"})
    SigV4Auth(Credentials("testing", "testing"), "execute-api", region).add_auth(request)
    return dict(request.headers.items())


def test_admin_routes_refuse_unsigned_calls(running: RunningStack):
    reply = requests.get(f"{running.api}/v1/admin/openapi.json", timeout=10)
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "forbidden"


def test_admin_routes_refuse_a_bad_signature(running: RunningStack):
    url = f"{running.api}/v1/admin/openapi.json"
    headers = _signed("GET", url, running.info["region"])
    headers["Authorization"] = headers["Authorization"][:-4] + "0000"
    assert requests.get(url, headers=headers, timeout=10).status_code == 403


def test_admin_routes_accept_a_sigv4_signed_call(running: RunningStack):
    url = f"{running.api}/v1/admin/openapi.json"
    reply = requests.get(url, headers=_signed("GET", url, running.info["region"]), timeout=10)
    assert reply.status_code == 200
    assert reply.json()["info"]["title"] == "PrivacyDesk admin API"


def test_the_http_api_throttles_a_burst_with_the_templates_limits(running: RunningStack):
    """A burst on one route beyond the template's limits gets API Gateway's 429; the route's bucket
    refills at the template's rate. (The static-file route, so other routes keep their buckets.)"""
    limits = throttle_from_template().default
    assert limits is not None
    url = f"{running.api}/privacy/static/privacy.css"
    attempts = limits.burst * 3
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda _: requests.get(url, timeout=30), range(attempts)))
    elapsed = time.monotonic() - started
    statuses = [reply.status_code for reply in replies]
    throttled = [reply for reply in replies if reply.status_code == 429]
    assert set(statuses) <= {200, 429}
    assert throttled, f"{attempts} requests in {elapsed:.1f}s were all admitted"
    assert throttled[0].json() == {"message": "Too Many Requests"}
    assert statuses.count(200) <= limits.burst + limits.rate_per_second * elapsed + 1
    time.sleep(limits.burst / limits.rate_per_second + 0.1)  # full again, for the tests after this one
    assert requests.get(url, timeout=30).status_code == 200
