"""Access export links: a stored keyed hash, checked before a short presigned redirect; the link
never outlives the object, and the roles that mint and follow it have what they need."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local import sam_template
from privacydesk.fulfilment.domain.export_links import (
    WRONG_GUESSES_PER_SOURCE,
    ExportGrant,
    download_url,
    grant_for,
    open_export,
)
from privacydesk.kernel.errors import Gone, NotFound, TooManyRequests
from privacydesk.requests.domain.ports import Allowance
from privacydesk.requests.domain.tokens import MAX_ATTEMPTS

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 28, 9, tzinfo=UTC)
KEY = "exports/req_1/personal-data.zip"


class Grants:
    def __init__(self, *grants: ExportGrant) -> None:
        self.grants = {g.request_id: g for g in grants}

    def save(self, grant: ExportGrant) -> None:
        self.grants[grant.request_id] = grant

    def get(self, request_id: str) -> ExportGrant | None:
        return self.grants.get(request_id)


class Signer:
    def presigned_get(self, bucket: str, key: str, expires_in_seconds: int) -> str:
        return f"https://{bucket}.s3.test/{key}?X-Amz-Expires={expires_in_seconds}"


def _open(grants: Grants, request_id: str, secret: str, at: datetime = NOW) -> str:
    return open_export(request_id, secret, now=at, grants=grants, signer=Signer())


def test_the_secret_is_not_stored_and_the_link_names_our_route():
    secret, grant = grant_for("req_1", "exports-bucket", KEY, now=NOW, days=7)
    assert secret not in repr(grant)
    assert len(secret) >= 40
    assert grant.challenge.expires_at == NOW + timedelta(days=7)
    assert download_url("https://privacy.example", "req_1", secret) == (
        f"https://privacy.example/v1/requests/req_1/export?token={secret}"
    )


def test_the_right_secret_redirects_to_a_five_minute_url_until_it_expires():
    secret, grant = grant_for("req_1", "exports-bucket", KEY, now=NOW, days=7)
    grants = Grants(grant)
    assert _open(grants, "req_1", secret) == f"https://exports-bucket.s3.test/{KEY}?X-Amz-Expires=300"
    assert _open(grants, "req_1", secret, NOW + timedelta(days=7) - timedelta(seconds=1))
    with pytest.raises(Gone) as expired:
        _open(grants, "req_1", secret, NOW + timedelta(days=7))
    assert expired.value.code == "export_expired"


def test_a_hash_copied_to_another_request_opens_nothing():
    secret, grant = grant_for("req_1", "exports-bucket", KEY, now=NOW, days=7)
    moved = replace(grant, challenge=replace(grant.challenge, request_id="req_2"))
    with pytest.raises(NotFound) as refused:
        _open(Grants(moved), "req_2", secret)
    assert refused.value.code == "export_not_found"


class Counters:
    """An in-memory requests.domain.ports.AbuseLimits."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str], int] = {}

    def spend(self, kind: str, key: str, allowance: Allowance, now: datetime) -> bool:
        raise AssertionError("not used here")

    def used(self, kind: str, key: str, allowance: Allowance, now: datetime) -> int:
        return self.hits.get((kind, key), 0)

    def count(self, kind: str, key: str, allowance: Allowance, now: datetime) -> None:
        self.hits[(kind, key)] = self.hits.get((kind, key), 0) + 1


def _open_from(grants: Grants, request_id: str, secret: str, source: str, limits: Counters) -> str:
    return open_export(request_id, secret, now=NOW, grants=grants, signer=Signer(), source=source, limits=limits)


def test_wrong_secrets_never_lock_the_owner_out():
    secret, grant = grant_for("req_1", "exports-bucket", KEY, now=NOW, days=7)
    grants, limits = Grants(grant), Counters()
    for _ in range(MAX_ATTEMPTS * 2):
        with pytest.raises(NotFound):
            _open_from(grants, "req_1", "guess", "203.0.113.9", limits)
    assert _open_from(grants, "req_1", secret, "198.51.100.7", limits)


def test_wrong_guesses_are_throttled_per_source_alike_for_known_and_unknown_links():
    secret, grant = grant_for("req_1", "exports-bucket", KEY, now=NOW, days=7)
    grants, limits = Grants(grant), Counters()
    cap = WRONG_GUESSES_PER_SOURCE.cap
    for n in range(cap):
        with pytest.raises(NotFound):
            _open_from(grants, "req_1" if n % 2 else "req_unknown", "guess", "203.0.113.9", limits)
    for request_id in ("req_1", "req_unknown"):
        with pytest.raises(TooManyRequests) as throttled:
            _open_from(grants, request_id, secret, "203.0.113.9", limits)
        assert throttled.value.code == "too_many_attempts"


def test_an_unknown_request_is_not_found():
    with pytest.raises(NotFound) as refused:
        _open(Grants(), "req_nope", "whatever")
    assert refused.value.code == "export_not_found"


def test_an_id_too_long_for_a_key_is_not_looked_up():
    # DynamoDB refuses a key over 2048 bytes (a 5xx); moto does not, so this is checked here.
    class NoLookups(Grants):
        def get(self, request_id: str) -> ExportGrant | None:
            raise AssertionError("looked up")

    with pytest.raises(NotFound) as refused:
        _open(NoLookups(), "r" * 3000, "whatever")
    assert refused.value.code == "export_not_found"


def _resource(name: str) -> dict[str, Any]:
    resource: dict[str, Any] = sam_template.load()["Resources"][name]
    return resource


def test_the_link_never_outlives_the_export():
    (rule,) = _resource("ExportBucket")["Properties"]["LifecycleConfiguration"]["Rules"]
    link_days = int(_resource("FulfilmentFunction")["Properties"]["Environment"]["Variables"]["EXPORT_LINK_DAYS"])
    assert link_days <= rule["ExpirationInDays"]


def _statements(function: str) -> list[dict[str, Any]]:
    return [s for p in _resource(function)["Properties"]["Policies"] if "Statement" in p for s in p["Statement"]]


def test_the_public_function_may_read_exports_so_its_presigned_urls_work():
    reads = [s for s in _statements("PublicApiFunction") if s["Action"] == "s3:GetObject"]
    assert [s["Resource"] for s in reads] == [{"Fn::Sub": "${ExportBucket.Arn}/exports/*"}]


def test_the_fulfilment_function_may_store_download_secrets():
    policies = _resource("FulfilmentFunction")["Properties"]["Policies"]
    assert {"DynamoDBWritePolicy": {"TableName": {"Ref": "VerificationTokensTable"}}} in policies


def test_without_a_public_url_the_fulfilment_links_point_at_the_api_itself(monkeypatch: pytest.MonkeyPatch):
    # Fulfilment mails the link outside any HTTP call: the template hands it API_BASE_URL.
    from privacydesk.bootstrap import public_base_url
    from privacydesk.kernel import settings

    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    monkeypatch.setenv("API_BASE_URL", "https://api.company.example/")
    settings.reload_settings()
    try:
        assert public_base_url() == "https://api.company.example"
        assert public_base_url("host.example") == "https://host.example"  # an HTTP call's own host first
        variables = _resource("FulfilmentFunction")["Properties"]["Environment"]["Variables"]
        assert "HttpApi" in variables["API_BASE_URL"]["Fn::Sub"]
    finally:
        monkeypatch.undo()
        settings.reload_settings()
