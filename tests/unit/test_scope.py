"""Scope = what was proven (requests/domain/scope.py), and one spelling per person (kernel/contacts.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from privacydesk.kernel.contacts import person_email
from privacydesk.requests.domain.model import Channel, PrivacyRequest, RequestStatus, RequestType, Subject
from privacydesk.requests.domain.scope import proven_scope

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _request(subject: Subject, *, method: str | None, proven: dict[str, str] | None = None, **extra: object):
    return PrivacyRequest(
        request_id="req_1",
        type=RequestType.ACCESS,
        status=RequestStatus.VERIFIED if method else RequestStatus.PENDING_VERIFICATION,
        channel=Channel.API,
        subject=subject,
        received_at=NOW,
        acknowledge_by=NOW,
        respond_by=NOW,
        verified_at=NOW if method else None,
        verification_method=method,
        proven=proven or {},
        policy_version="p",
        datamap_version="d",
        **extra,
    )


def test_a_verified_email_does_not_prove_the_phone_beside_it():
    subject = Subject(email="a@example.org", phone="+639170000001")
    scope = proven_scope(_request(subject, method="email_link", proven={"email": "email_link"}))
    assert (scope.email, scope.phone, scope.unproven) == ("a@example.org", None, ("phone",))


def test_an_sms_code_proves_the_phone_and_never_an_account():
    subject = Subject(email="a@example.org", phone="+639170000001", account_id="acct_1")
    scope = proven_scope(_request(subject, method="sms_code", proven={"phone": "sms_code"}))
    assert (scope.email, scope.phone, scope.account_id) == (None, "+639170000001", None)


def test_an_account_id_is_in_scope_only_through_the_proven_email():
    subject = Subject(email="a@example.org", account_id="acct_1")
    assert proven_scope(_request(subject, method="email_link")).account_id == "acct_1"


def test_an_unverified_request_proves_nothing():
    scope = proven_scope(_request(Subject(email="a@example.org"), method=None, proven={"email": "email_link"}))
    assert scope.empty


def test_an_emailed_request_proves_the_registered_address_the_link_went_to():
    request = _request(
        Subject(email="sender@example.org"),
        method="email_link",
        trust={"registered_email": "owner@example.org"},
    )
    assert proven_scope(request).email == "owner@example.org"


def test_requests_verified_before_proofs_were_recorded_read_their_method():
    scope = proven_scope(_request(Subject(email="a@example.org", phone="+639170000001"), method="sms_code"))
    assert (scope.email, scope.phone) == (None, "+639170000001")


@pytest.mark.parametrize(
    "spelling",
    ["First.Last@gmail.com", "firstlast+promo@gmail.com", "f.i.r.s.t.l.a.s.t@googlemail.com", "FIRSTLAST@GMAIL.COM"],
)
def test_gmail_spellings_are_one_person(spelling: str):
    assert person_email(spelling) == "firstlast@gmail.com"


def test_other_providers_keep_their_dots_but_lose_plus_tags():
    assert person_email("Jo.Ann+news@Example.org") == "jo.ann@example.org"
    assert person_email("jo.ann@example.org") != person_email("joann@example.org")


def test_the_subject_key_counts_people_not_spellings():
    assert Subject(email="a.b+x@gmail.com").key == Subject(email="ab@googlemail.com").key
