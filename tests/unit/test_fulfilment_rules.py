"""Fulfilment's pure rules: corrections, subject matching, redaction, the bundle, skip rules,
and the template wiring (bus rules -> KMS queue with DLQ -> function with partial failures)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest

from local import sam_template
from privacydesk.datamap.domain.corrections import validated_corrections
from privacydesk.datamap.domain.model import SubjectKey, load_datamap
from privacydesk.fulfilment.domain.export_bundle import item_view, write_bundle
from privacydesk.kernel.errors import InvalidInput
from privacydesk.requests.domain.model import Channel, PrivacyRequest, RequestStatus, RequestType, Subject
from privacydesk.subjects.domain.subjects import Match, SubjectIds, excluded, matches, resolve

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
DATAMAP = load_datamap()


class Account:
    def __init__(self, account_id: str, email: str, phone: str) -> None:
        self.account_id, self.email, self.phone = account_id, email, phone


class Directory:
    def __init__(self, *accounts: Account) -> None:
        self.accounts = accounts

    def by_email(self, email: str) -> Account | None:
        return next((a for a in self.accounts if a.email == email), None)

    def by_phone(self, phone: str) -> Account | None:
        return next((a for a in self.accounts if a.phone == phone), None)

    def by_id(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)


ANA = Account("acct-ana", "ana@example.com", "+639171234567")


def test_corrections_are_normalised_and_invalid_ones_are_named_without_their_values():
    assert validated_corrections({"email": "Ana@Example.COM", "phone": "0917 123 4567"}, DATAMAP) == {
        "email": "ana@example.com",
        "phone": "+639171234567",
    }
    with pytest.raises(InvalidInput) as error:
        validated_corrections({"email": "nope", "name": "Ana"}, DATAMAP)
    assert error.value.code == "invalid_correction"
    assert "email" in error.value.message
    assert "nope" not in error.value.message


@pytest.mark.parametrize("field", ["recipient", "body", "account_id", "tax_id", "ip_address"])
def test_fields_outside_the_subjects_own_profile_cannot_be_corrected(field: str):
    with pytest.raises(InvalidInput) as error:
        validated_corrections({field: "x"}, DATAMAP)
    assert error.value.code == "field_not_correctable"


def test_an_sms_code_proves_a_number_not_an_account():
    ids = resolve(Subject(phone=ANA.phone), Directory(ANA))
    assert ids.account_id is None
    accounts = DATAMAP.store("accounts")
    by_phone = next(m for m in matches(accounts, ids) if m.lookup.key == SubjectKey.PHONE)
    assert excluded(accounts, by_phone, ids, {"account_id": ANA.account_id, "phone": ANA.phone})


def test_a_person_without_an_account_is_looked_up_by_their_proven_email():
    ids = resolve(Subject(email="guest@example.org"), Directory(ANA))
    tickets = DATAMAP.store("support_tickets")
    (by_email,) = matches(tickets, ids)
    assert by_email.lookup.key == SubjectKey.EMAIL
    assert not excluded(tickets, by_email, ids, {"ticket_id": "T-1", "email": "guest@example.org"})
    assert excluded(tickets, by_email, ids, {"ticket_id": "T-2", "email": "guest@example.org", "account_id": "a"})


def test_a_registered_email_brings_in_the_accounts_phone_as_an_sms_recipient():
    ids = resolve(Subject(email=ANA.email), Directory(ANA))
    assert ids == SubjectIds("acct-ana", (ANA.email,), (ANA.phone,))
    found = {(m.lookup.key.value, m.lookup.role) for m in matches(DATAMAP.store("message_logs"), ids)}
    assert found == {("account_id", "owner"), ("phone", "recipient")}


def test_an_erased_account_is_still_found_by_the_id_resolved_in_the_first_attempt():
    ids = resolve(Subject(email=ANA.email, account_id="acct-ana"), Directory())
    assert ids.account_id == "acct-ana"


def test_an_item_the_owner_lookup_covered_is_not_counted_again_as_received():
    store = DATAMAP.store("message_logs")
    ids = SubjectIds("acct-ana", (ANA.email,), (ANA.phone,))
    as_recipient = next(m for m in matches(store, ids) if m.as_recipient)
    assert excluded(store, as_recipient, ids, {"account_id": "acct-ana", "recipient": ANA.phone})
    assert not excluded(store, as_recipient, ids, {"account_id": "acct-ben", "recipient": ANA.phone})


def test_a_recipient_sees_the_message_but_not_the_senders_account():
    store = DATAMAP.store("message_logs")
    lookup = next(x for x in store.lookups if x.role == "recipient")
    item = {
        "account_id": "acct-ben",
        "message_id": "m1",
        "recipient": "+639175550101",
        "sender_id": "CRUZ",
        "body": "Your parcel is here",
        "route": "fallback",
        "expires_at": 1,
    }
    view = item_view(store, Match(lookup, "+639175550101"), item)
    assert view == {
        "relation": "recipient",
        "message_id": "m1",
        "recipient": "+639175550101",
        "body": "Your parcel is here",
    }


class FakeConnector:
    def __init__(self, store: Any, items: list[dict[str, Any]]) -> None:
        self.store, self.items = store, items

    def pages(self, lookup: Any, value: str, *, now_epoch: int, include_expired: bool = False) -> Any:
        if lookup.key.value == "account_id":
            for start in range(0, len(self.items), 2):
                yield self.items[start : start + 2]

    def open(self, item: dict[str, Any]) -> Any:
        return io.BytesIO(b"file body") if self.store.kind == "s3" else None


def test_the_bundle_has_json_csv_files_and_a_readme_for_every_store():
    data = {
        "accounts": [{"account_id": "acct-ana", "name": "Ana", "email": ANA.email}],
        "account_documents": [{"file_name": "permit.pdf", "size": 9, "last_modified": "2026-11-01"}],
        "message_logs": [{"account_id": "acct-ana", "message_id": f"m{n}", "body": "hi"} for n in range(5)],
    }
    out = io.BytesIO()
    report = write_bundle(
        out,
        request=_request(RequestType.ACCESS),
        datamap=DATAMAP,
        connector=lambda store: FakeConnector(store, data.get(store.name, [])),  # type: ignore[arg-type,return-value]
        ids=SubjectIds("acct-ana", (ANA.email,)),
        now=NOW,
    )
    bundle = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert report.stores["message_logs"].records == 5
    assert len(json.loads(bundle.read("message_logs.json"))) == 5
    assert bundle.read("message_logs.csv").decode().count("\n") == 6  # header + 5 rows
    assert json.loads(bundle.read("api_usage.json")) == []
    assert bundle.read("files/account_documents/permit.pdf") == b"file body"
    readme = bundle.read("README.txt").decode()
    for store in DATAMAP.stores:
        assert store.retention.reason.split(".")[0] in " ".join(readme.split())


def _request(kind: RequestType, **changes: Any) -> PrivacyRequest:
    base = PrivacyRequest(
        request_id="req_unit",
        type=kind,
        status=RequestStatus.VERIFIED,
        channel=Channel.API,
        subject=Subject(email=ANA.email),
        received_at=NOW,
        acknowledge_by=NOW,
        respond_by=NOW,
        verified_at=NOW,
        verification_method="email_link",
        policy_version="2025-11-30",
        datamap_version=DATAMAP.version,
    )
    return base.model_copy(update=changes)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"approval_required": True}, "the request awaits approval"),
        ({"status": RequestStatus.COMPLETED}, "the request is completed"),
        ({"status": RequestStatus.ON_HOLD}, "the request is on_hold"),
        ({"verified_at": None}, "the requester has not verified the request"),
    ],
)
def test_fulfilment_leaves_alone_what_it_must_not_touch(changes: dict[str, Any], reason: str):
    from privacydesk.fulfilment.domain.fulfilment import fulfil
    from privacydesk.fulfilment.domain.ports import FulfilmentServices

    request = _request(RequestType.DELETE, **changes)

    class Requests:
        def get(self, request_id: str) -> PrivacyRequest:
            return request

    services = FulfilmentServices(
        requests=type("S", (), {"requests": Requests()})(),  # type: ignore[arg-type]
        datamap=DATAMAP,
        connector=lambda store: pytest.fail("no store may be touched"),  # type: ignore[arg-type,return-value]
        accounts=Directory(ANA),
        holds=None,  # type: ignore[arg-type]
        objections=None,  # type: ignore[arg-type]
        exports=None,  # type: ignore[arg-type]
        export_links=None,  # type: ignore[arg-type]
    )
    result = fulfil("req_unit", now=NOW, services=services)
    assert (result.action, result.reason) == ("skipped", reason)


def _resource(name: str) -> dict[str, Any]:
    resource: dict[str, Any] = sam_template.load()["Resources"][name]
    return resource


def test_the_bus_sends_verified_requests_without_approval_and_approved_ones_to_the_queue():
    verified = _resource("FulfilmentVerifiedRule")["Properties"]
    approved = _resource("FulfilmentApprovedRule")["Properties"]
    assert verified["EventPattern"]["detail-type"] == ["Request.Verified"]
    assert verified["EventPattern"]["detail"]["approval_required"] == [False]
    assert approved["EventPattern"]["detail-type"] == ["Request.Approved"]
    for rule in (verified, approved):
        assert "inquiry" not in rule["EventPattern"]["detail"]["type"]
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": ["FulfilmentQueue", "Arn"]}
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["FulfilmentDeadLetterQueue", "Arn"]}}


def test_the_queue_is_encrypted_with_a_dlq_and_the_function_reports_partial_failures():
    queue = _resource("FulfilmentQueue")["Properties"]
    function = _resource("FulfilmentFunction")["Properties"]
    assert queue["KmsMasterKeyId"] == {"Ref": "DataKey"}
    assert _resource("FulfilmentDeadLetterQueue")["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["FulfilmentDeadLetterQueue", "Arn"]}
    # the last attempt marks the request failed: it must be the last receive before the DLQ
    assert queue["RedrivePolicy"]["maxReceiveCount"] == int(
        function["Environment"]["Variables"]["FULFILMENT_MAX_ATTEMPTS"]
    )
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    event = function["Events"]["Requests"]
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "FulfilmentLogGroup"}}


def test_every_kind_of_store_in_the_data_map_has_an_adapter():
    from privacydesk.datamap.adapters.store_registry import STORE_ADAPTERS

    assert {store.kind for store in DATAMAP.stores} <= set(STORE_ADAPTERS)
    documents = DATAMAP.store("account_documents")
    assert documents.kind == "s3"
    assert "{account_id}" in (documents.prefix or "")
