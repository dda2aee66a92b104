"""Fuzzing the real EmailIntakeFunction: no input crashes it, and every input is accounted for."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privacydesk.email_intake.adapters.review_queue import ReviewRepository
from privacydesk.requests.adapters.requests_store import RequestRepository
from tests.support.email_flows import CORPUS, deliver, register_account
from tests.support.harness import Harness

pytestmark = pytest.mark.integration

SENDER = f"fuzz-{uuid.uuid4().hex[:8]}@example.org"
CORPUS_FILES = sorted(CORPUS.glob("*.eml"))

HEADER_LINES = st.sampled_from(
    [
        f"From: Fuzz <{SENDER}>\r\n".encode(),
        f"From: =?utf-8?B?RnV6eg==?= <{SENDER}>\r\n".encode(),
        b"From: <<<>>>\r\n",
        b"Reply-To: attacker@evil.example\r\n",
        b"Subject: Please delete my data\r\n",
        b"Subject: =?utf-8?Q?Pakiburahin?=\r\n",
        b"Subject: =?bogus?X?zz?=\r\n",
        b"X-Huge: " + b"h" * 60_000 + b"\r\n",
        b'Content-Type: multipart/mixed; boundary="zz"\r\n',
        b"Content-Type: multipart/alternative\r\n",
        b"Content-Type: text/html; charset=x-unknown\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
    ]
)
BODY_LINES = st.sampled_from(
    [
        b"\r\n",
        b"--zz\r\n",
        b"--zz--\r\n",
        b'Content-Disposition: attachment; filename="a.exe"\r\n',
        b"please delete my personal data\r\n",
        b"kopya ng aking data\r\n",
        b"<p>stop using my data</p><script>x</script>\r\n",
        b"=E2=80=93 =Z\r\n",
        b"QUJD\r\n",
        b"\x00\xff\xfe\x80\r\n",
    ]
)


def mime_like() -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda headers, body: b"".join(headers) + b"\r\n" + b"".join(body),
        st.lists(HEADER_LINES, max_size=8),
        st.lists(BODY_LINES, max_size=12),
    )


def truncated_corpus() -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda path, fraction: path.read_bytes()[: int(len(path.read_bytes()) * fraction)],
        st.sampled_from(CORPUS_FILES),
        st.floats(min_value=0.0, max_value=1.0),
    )


INPUTS = st.one_of(st.binary(max_size=2048), mime_like(), truncated_corpus())
VERDICTS = st.fixed_dictionaries(
    {name: st.sampled_from(["PASS", "FAIL", "GRAY"]) for name in ("spf", "dkim", "dmarc", "spam", "virus")}
)


@pytest.fixture(scope="module")
def fuzz_sender(stack: Harness) -> str:
    register_account(SENDER)
    return SENDER


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(raw=INPUTS, verdicts=VERDICTS)
def test_every_input_becomes_a_request_or_a_review_entry(stack: Harness, fuzz_sender: str, raw: bytes, verdicts):
    outcome = deliver(stack, raw, **verdicts)
    if outcome["outcome"] == "request":
        request = RequestRepository().get(outcome["request_id"])
        assert request is not None
        if outcome["duplicate"]:  # the contact's open request, made by any channel (maybe by another test)
            return
        assert request.channel.value == "email"
        if verdicts["dmarc"] == "FAIL" or verdicts["spam"] == "FAIL":
            assert request.verified_at is None
            assert request.status.value in ("on_hold", "received")
    else:
        assert outcome["outcome"] == "review", outcome
        assert ReviewRepository().get(outcome["entry_id"]) is not None
        if verdicts["virus"] == "FAIL":
            assert outcome["reason"] == "virus"
