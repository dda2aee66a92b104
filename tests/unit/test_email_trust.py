"""Trust from SES verdicts and the account directory: who gets confirmations, who gets nothing."""

from __future__ import annotations

import pytest

from privacydesk.email_intake.domain.email_trust import Disposition, Verdicts, assess, may_answer_sender

pytestmark = pytest.mark.unit

PASS = Verdicts(spf="PASS", dkim="PASS", dmarc="PASS", spam="PASS", virus="PASS")
REGISTERED = {"registered_email": "ana@example.com", "account_id": "acct-ana"}


def with_(**changes: str) -> Verdicts:
    return Verdicts(**{**PASS.as_dict(), **changes})


def test_registered_sender_with_passing_checks_is_trusted():
    decision = assess(PASS, **REGISTERED)
    assert decision.disposition == Disposition.TRUSTED
    assert decision.registered_email == "ana@example.com"


def test_virus_is_quarantined_whatever_else():
    assert assess(with_(virus="FAIL"), **REGISTERED).disposition == Disposition.QUARANTINE


@pytest.mark.parametrize(
    ("verdicts", "reason"),
    [
        (with_(dmarc="FAIL"), "dmarc_fail"),
        (with_(spam="FAIL"), "spam"),
        (with_(dmarc="GRAY", spf="FAIL", dkim="FAIL"), "authentication_failed"),
    ],
)
def test_failing_checks_make_a_registered_sender_untrusted(verdicts, reason):
    decision = assess(verdicts, **REGISTERED)
    assert decision.disposition == Disposition.UNTRUSTED
    assert reason in decision.reasons
    assert not may_answer_sender(decision)


def test_unregistered_sender_is_untrusted_but_may_get_an_answer_to_a_question():
    decision = assess(PASS, registered_email=None, account_id=None)
    assert decision.reasons == ["sender_not_registered"]
    assert may_answer_sender(decision)


def test_gray_verdicts_alone_do_not_block_a_registered_sender():
    # Many domains publish no DMARC; the confirmation link at the registered address is the proof.
    assert assess(Verdicts(), **REGISTERED).trusted


def test_verdicts_read_from_an_ses_receipt_with_odd_values_as_gray():
    verdicts = Verdicts.of({"dmarcVerdict": {"status": "fail"}, "spfVerdict": "PASS", "dmarcPolicy": "REJECT"})
    assert verdicts.dmarc == "FAIL"
    assert verdicts.spf == "GRAY"
    assert verdicts.dmarc_policy == "reject"


def test_trust_record_says_why_and_that_reply_to_differs():
    decision = assess(with_(dmarc="FAIL"), **REGISTERED)
    record = decision.record(with_(dmarc="FAIL"), ["attacker@evil.example"], "ana@example.com")
    assert record["verified"] is False
    assert record["reasons"] == ["dmarc_fail"]
    assert record["reply_to_differs"] is True
    assert record["registered_email"] == "ana@example.com"
