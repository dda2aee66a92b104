"""Approval and fulfilment (access, update, delete, object) on in-memory stores: what the requester,
the DPO and the stores show afterwards."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest

from privacydesk.fulfilment.domain import fulfilment
from privacydesk.fulfilment.domain.fulfilment import FulfilmentResult
from privacydesk.requests.domain import dpo_actions as admin_actions
from privacydesk.requests.domain import intake
from privacydesk.requests.domain.model import Channel, RequestStatus, RequestType
from tests.support.fakes import FakeDesk

pytestmark = pytest.mark.fast

ANA = "ana.fast@example.org"
ACCOUNT = "acct-fast-ana"
STRANGER_PHONE = "+639998887777"


def _desk_with_ana() -> FakeDesk:
    desk = FakeDesk()
    desk.stores["accounts"].put(
        account_id=ACCOUNT, email=ANA, phone="+639171234567", name="Ana Fast", company="Fast Co", status="active"
    )
    desk.stores["message_logs"].put(
        account_id=ACCOUNT,
        message_id="m-1",
        recipient=STRANGER_PHONE,
        sender_id="FASTCO",
        body="Your code is 1234",
        status="delivered",
        sent_at="2026-11-02T10:00:00Z",
        route="globe",
    )
    desk.stores["account_documents"].put(account_id=ACCOUNT, file_name="permit.pdf", body=b"%PDF-1.7 permit")
    return desk


def _verified(desk: FakeDesk, kind: RequestType, **fields: object) -> str:
    new = intake.NewRequest(type=kind, email=ANA, **fields)  # type: ignore[arg-type]
    request_id = intake.submit(new, channel=Channel.API, now=desk.now, services=desk.services()).request.request_id
    intake.verify(request_id, desk.verification_token(ANA, request_id), now=desk.now, services=desk.services())
    return request_id


def _fulfil(desk: FakeDesk, request_id: str) -> FulfilmentResult:
    result = fulfilment.fulfil(request_id, now=desk.later(minutes=1), services=desk.fulfilment())
    desk.deliver_outbox()
    return result


def test_an_update_request_is_not_carried_out_before_the_dpo_approves_it():
    desk = _desk_with_ana()
    request_id = _verified(desk, RequestType.UPDATE, corrections={"company": "Slow Co"})
    result = _fulfil(desk, request_id)
    assert (result.action, result.reason) == ("skipped", "the request awaits approval")
    assert desk.stores["accounts"].items[0]["company"] == "Fast Co"


def test_the_dpos_approval_is_in_the_audit_trail_and_on_the_bus():
    desk = _desk_with_ana()
    request_id = _verified(desk, RequestType.UPDATE, corrections={"company": "Slow Co"})
    admin_actions.approve(request_id, actor="dpo", now=desk.now, services=desk.services())
    desk.deliver_outbox()
    assert desk.requests.actions(request_id)[-1] == "approved"
    assert "Request.Approved" in desk.bus.detail_types(request_id)


def test_an_approved_update_corrects_the_account_and_completes():
    desk = _desk_with_ana()
    request_id = _verified(desk, RequestType.UPDATE, corrections={"company": "Slow Co"})
    admin_actions.approve(request_id, actor="dpo", now=desk.now, services=desk.services())
    result = _fulfil(desk, request_id)
    assert result.status == RequestStatus.COMPLETED
    assert desk.stores["accounts"].items[0]["company"] == "Slow Co"


def test_an_access_request_mails_a_download_link_that_opens_a_copy_of_the_subjects_records():
    desk = _desk_with_ana()
    request_id = _verified(desk, RequestType.ACCESS)
    assert _fulfil(desk, request_id).status == RequestStatus.COMPLETED
    completed = desk.mailer.to(ANA)[-1]
    assert completed.subject == "Your privacy request is complete"
    link = next(word for word in completed.text.split() if "/export?" in word)
    grant = desk.export_grants.get(request_id)
    assert grant is not None
    assert grant.challenge.check(parse_qs(urlsplit(link).query)["token"][0], desk.now) is None
    with zipfile.ZipFile(io.BytesIO(desk.exports.objects[grant.key])) as bundle:
        names = bundle.namelist()
    assert {"accounts.json", "message_logs.json", "files/account_documents/permit.pdf"} <= set(names)


def test_a_delete_request_removes_the_account_and_its_documents():
    desk = _desk_with_ana()
    request_id = _verified(desk, RequestType.DELETE)
    assert _fulfil(desk, request_id).status == RequestStatus.COMPLETED
    assert desk.stores["accounts"].items == []
    assert desk.stores["account_documents"].items == []


def test_a_delete_request_keeps_message_logs_only_as_rows_that_name_no_one():
    desk = _desk_with_ana()
    request_id = _verified(desk, RequestType.DELETE)
    _fulfil(desk, request_id)
    [kept] = desk.stores["message_logs"].items
    assert kept.get("account_id") != ACCOUNT
    assert not {"recipient", "body", "sender_id"} & kept.keys()


def test_a_delete_request_tells_the_requester_and_the_bus_it_is_done():
    desk = _desk_with_ana()
    request_id = _verified(desk, RequestType.DELETE)
    _fulfil(desk, request_id)
    assert desk.subjects(ANA)[-1] == "Your privacy request is complete"
    assert {"Request.Completed", "Subject.Erased"} <= set(desk.bus.detail_types())


def test_a_delete_request_leaves_an_account_under_legal_hold_in_place():
    desk = _desk_with_ana()
    desk.holds.reasons[ACCOUNT] = "litigation"
    request_id = _verified(desk, RequestType.DELETE)
    _fulfil(desk, request_id)
    assert [item["account_id"] for item in desk.stores["accounts"].items] == [ACCOUNT]


def test_an_objection_is_recorded_per_purpose_and_announced():
    desk = _desk_with_ana()
    request_id = _verified(desk, RequestType.OBJECT, purposes=["marketing"])
    assert _fulfil(desk, request_id).status == RequestStatus.COMPLETED
    [objections] = desk.objections.by_subject.values()
    assert objections["marketing"].objected
    assert "Subject.ObjectionChanged" in desk.bus.detail_types()


def test_a_fulfilment_whose_store_fails_is_audited_and_retried_not_lost():
    desk = _desk_with_ana()
    desk.stores["accounts"].failing = True
    request_id = _verified(desk, RequestType.DELETE)
    with pytest.raises(Exception, match="accounts"):
        fulfilment.fulfil(request_id, now=desk.now, services=desk.fulfilment(), attempt=1, max_attempts=3)
    assert desk.requests.require(request_id).status == RequestStatus.IN_PROGRESS
    assert desk.requests.actions(request_id)[-1] == "fulfilment_attempt_failed"
