"""Which right an email asks for, in English and Filipino/Tagalog; unclear mail becomes an inquiry."""

from __future__ import annotations

import pytest

from privacydesk.email_intake.domain.email_classifier import (
    ALL_OPTIONAL_PURPOSES,
    THRESHOLD,
    classify,
    corrections_named,
    purposes_named,
)
from privacydesk.requests.domain.model import DESTRUCTIVE_TYPES, RequestType

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("Delete my data", "Please delete my personal data.", RequestType.DELETE),
        ("", "Kindly erase all my information from your systems.", RequestType.DELETE),
        ("", "I want to remove my account and data.", RequestType.DELETE),
        ("", "I am exercising my right to be forgotten.", RequestType.DELETE),
        ("", "Pakiburahin po ang aking data.", RequestType.DELETE),
        ("", "Pakitanggal po ang account ko. Tanggalin na lahat.", RequestType.DELETE),
        ("", "Paki-delete po ang data ko sa inyo.", RequestType.DELETE),
        ("", "Can you send me a copy of my personal data?", RequestType.ACCESS),
        ("", "What personal data do you hold about me?", RequestType.ACCESS),
        ("Subject access request", "Under the Data Privacy Act.", RequestType.ACCESS),
        ("", "Gusto ko pong humingi ng kopya ng aking impormasyon.", RequestType.ACCESS),
        ("", "Please update my company name to Cruz Freight.", RequestType.UPDATE),
        ("", "Mali ang aking pangalan sa account, pakiitama po.", RequestType.UPDATE),
        ("", "Baguhin po ang numero ko.", RequestType.UPDATE),
        ("", "I want to opt out of marketing.", RequestType.OBJECT),
        ("", "Please stop using my data for analytics.", RequestType.OBJECT),
        ("", "Tumututol po ako sa paggamit ng data ko.", RequestType.OBJECT),
        ("", "Ayaw ko na pong gamitin ninyo ang number ko.", RequestType.OBJECT),
        ("", "Huwag nang gamitin ang aking impormasyon para sa promo.", RequestType.OBJECT),
    ],
)
def test_each_right_is_recognised_in_english_and_tagalog(subject, body, expected):
    result = classify(subject, body)
    assert result.type == expected, result
    assert result.confidence >= THRESHOLD


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Question", "How long do you keep SMS logs?"),
        ("", "Hello po, ano po ang oras ng opisina ninyo?"),
        ("", "Please delete my data and also send me a copy first."),  # two rights: ask, don't guess
        ("", "Please don't delete my account, I still need it."),
        ("", "Huwag ninyong burahin ang account ko."),
        ("", ""),
        ("Re: hi", "Thanks!\n\nOn Mon, 1 Dec 2025, Support <s@example.com> wrote:\n> we can delete your data"),
        ("", "I cannot access my dashboard."),  # a weak cue alone is not enough
    ],
)
def test_unclear_or_negated_mail_becomes_an_inquiry_never_a_destructive_type(subject, body):
    result = classify(subject, body)
    assert result.type == RequestType.INQUIRY, result
    assert result.type not in DESTRUCTIVE_TYPES
    assert result.reason


def test_the_subject_line_weighs_more_than_a_weak_body_cue():
    assert classify("Deletion request", "Account: Santos Bakery").type == RequestType.DELETE


def test_forwarded_text_does_not_outvote_the_writers_own_words():
    body = (
        "Please stop using my number for marketing.\n\n"
        "---------- Forwarded message ---------\nFrom: x <x@example.net>\n\nTo delete your data, reply DELETE."
    )
    assert classify("Fwd: promo", body).type == RequestType.OBJECT


def test_confidence_reports_scores_and_cue_families_not_text():
    result = classify("", "Please delete my personal data.")
    assert result.scores == {"delete": 1.0}
    assert all(":" in cue for cue in result.cues)
    assert "personal" not in str(result.cues)


def test_objection_purposes_named_or_all_optional_ones():
    assert purposes_named("", "Stop sending me promos") == ["marketing"]
    assert purposes_named("", "I object to analytics and profiling") == ["analytics", "profiling"]
    assert purposes_named("", "Stop using my data") == list(ALL_OPTIONAL_PURPOSES)


def test_corrections_stated_plainly_are_extracted():
    assert corrections_named("Please change my company name to Santos Bakeshop Inc") == {
        "company": "Santos Bakeshop Inc"
    }
    assert corrections_named("Palitan ang pangalan ko ng Ana Maria Santos.") == {"name": "Ana Maria Santos"}
    assert corrections_named("Please correct my name, it is misspelled") == {}
