"""Reading real-world email: Gmail, Outlook and Apple Mail shapes, encodings, attachments, bad MIME."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privacydesk.email_intake.domain.email_classifier import classify
from privacydesk.email_intake.domain.email_message import decode_text, html_to_text, parse_chunks, read_message
from privacydesk.requests.domain.model import RequestType

pytestmark = pytest.mark.unit

CORPUS = Path(__file__).resolve().parents[1] / "data" / "emails"


def read(raw: bytes, chunk: int = 997):
    return read_message(parse_chunks(raw[i : i + chunk] for i in range(0, len(raw), chunk)), len(raw))


# What the DPO would expect each message in the corpus to be.
EXPECTED = {
    "gmail_delete_en.eml": RequestType.DELETE,
    "outlook_access_en.eml": RequestType.ACCESS,
    "apple_mail_tagalog_delete.eml": RequestType.DELETE,
    "gmail_forwarded_object.eml": RequestType.OBJECT,
    "html_only_tagalog_access.eml": RequestType.ACCESS,
    "attachments_update.eml": RequestType.UPDATE,
    "wrong_charset_tagalog_object.eml": RequestType.OBJECT,
    "outlook_cp1252_delete.eml": RequestType.DELETE,
    "unclear_inquiry.eml": RequestType.INQUIRY,
    "apple_mail_reply_quoted.eml": RequestType.INQUIRY,
}


def test_the_corpus_is_complete():
    assert sorted(p.name for p in CORPUS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message_is_read_and_classified(name):
    parsed = read((CORPUS / name).read_bytes())
    assert parsed.sender == "ana.santos@example.com"
    assert parsed.subject
    assert parsed.text.strip()
    assert classify(parsed.subject, parsed.text).type == EXPECTED[name]


def test_rfc2047_subjects_are_decoded():
    assert read((CORPUS / "apple_mail_tagalog_delete.eml").read_bytes()).subject == (
        "Pakiburahin ang aking data \u2013 Santos Bakery"
    )
    assert read((CORPUS / "html_only_tagalog_access.eml").read_bytes()).subject == "Hinihingi ang aking data"


def test_html_only_mail_becomes_text_without_scripts_or_styles():
    text = read((CORPUS / "html_only_tagalog_access.eml").read_bytes()).text
    assert "Gusto ko pong makita" in text
    assert "alert" not in text
    assert "font-family" not in text
    assert "<" not in text


def test_a_wrong_charset_label_still_reads_utf8_text():
    assert "Para\u00f1aque" in read((CORPUS / "wrong_charset_tagalog_object.eml").read_bytes()).text


def test_windows_1252_smart_quotes_are_read():
    assert "I\u2019d like you to erase" in read((CORPUS / "outlook_cp1252_delete.eml").read_bytes()).text


def test_attachments_are_listed_with_decoded_bytes_and_names():
    parsed = read((CORPUS / "attachments_update.eml").read_bytes())
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("SEC registration.pdf", "application/pdf"),
        ("invoice.pdf.exe", "application/x-msdownload"),
    ]
    assert parsed.attachments[0].payload().startswith(b"%PDF-1.4")
    assert "Santos Bakeshop" in parsed.text  # the body is not mistaken for an attachment


def test_reply_to_is_read_but_kept_apart_from_the_sender():
    raw = b"From: Ana <ana@example.com>\r\nReply-To: Mallory <m@evil.example>\r\nSubject: x\r\n\r\nbody\r\n"
    parsed = read(raw)
    assert parsed.sender == "ana@example.com"
    assert parsed.reply_to == ["m@evil.example"]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"Subject: no sender\r\n\r\nplease delete my data\r\n", "missing_from"),
        (b"From: a@example.com, b@example.com\r\nSubject: x\r\n\r\nhi\r\n", "multiple_from"),
        (b"From: not an address\r\nSubject: x\r\n\r\nhi\r\n", "invalid_from"),
        (b"From: a@example.com\r\nFrom: b@example.com\r\n\r\nhi\r\n", "multiple_from"),
    ],
)
def test_a_message_without_exactly_one_valid_sender_says_why(raw, problem):
    parsed = read(raw)
    assert parsed.sender is None
    assert parsed.sender_problem == problem


def test_broken_multipart_boundary_still_yields_what_it_can():
    raw = (
        b"From: ana@example.com\r\nSubject: Delete my data\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="abc"\r\n\r\n'
        b"--abc\r\nContent-Type: text/plain\r\n\r\nplease delete my data\r\n"  # never closed
    )
    parsed = read(raw)
    assert parsed.sender == "ana@example.com"
    assert "delete my data" in parsed.text


def test_broken_base64_and_unknown_charset_do_not_raise():
    raw = (
        b"From: ana@example.com\r\nSubject: =?x-unknown?Q?=FF?=\r\nContent-Type: text/plain; charset=x-klingon\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64@@@\r\n"
    )
    parsed = read(raw)
    assert parsed.sender == "ana@example.com"


def test_decode_text_falls_back_without_raising():
    assert decode_text("ñ".encode(), "us-ascii") == "ñ"
    assert decode_text(b"\x92", "utf-8") == "\u2019"
    assert decode_text(b"abc", "no-such-charset") == "abc"


def test_html_to_text_keeps_block_breaks():
    assert html_to_text("<p>one</p><p>two<br>three</p>") == "one\n\ntwo\nthree"


MIME_PIECES = st.sampled_from(
    [
        b"From: Ana <ana@example.com>\r\n",
        b"From: =?utf-8?B?QW5h?= <ana@example.com>\r\n",
        b"Reply-To: <<<@@@>>>\r\n",
        b"Subject: =?utf-8?Q?broken\r\n",
        b"Subject: " + b"x" * 20000 + b"\r\n",
        b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"Content-Type: multipart/alternative; boundary=\r\n",
        b'Content-Type: text/plain; charset="utf-8"\r\n',
        b"Content-Type: message/rfc822\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Disposition: attachment; filename*=utf-8''%FF%FE.exe\r\n",
        b"\r\n",
        b"--b\r\n",
        b"--b--\r\n",
        b"please delete my data\r\n",
        b"=E2=80=93 =ZZ\r\n",
        b"SGVsbG8=\r\n",
        b"\xff\xfe\x00garbage\r\n",
        b"X-Header: " + b"a" * 5000 + b"\r\n",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MIME_PIECES, max_size=30), st.integers(min_value=1, max_value=4096))
def test_mime_like_garbage_never_raises(pieces, chunk):
    raw = b"".join(pieces)
    parsed = read(raw, chunk)
    classify(parsed.subject, parsed.text)
    for attachment in parsed.attachments:
        attachment.payload()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(raw):
    parsed = read(raw)
    classify(parsed.subject, parsed.text)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(EXPECTED)), st.floats(min_value=0.0, max_value=1.0))
def test_truncated_corpus_messages_never_raise(name, fraction):
    raw = (CORPUS / name).read_bytes()
    parsed = read(raw[: int(len(raw) * fraction)])
    classify(parsed.subject, parsed.text)
