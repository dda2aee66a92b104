"""Which AWS failures are "try again later" (503 service_busy) and which are not."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from privacydesk.kernel.aws import is_transient

pytestmark = pytest.mark.unit


def client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutItem")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ProvisionedThroughputExceededException", 400),
        ("ThrottlingException", 400),
        ("TooManyRequestsException", 429),
        ("InternalError", 500),
        ("ServiceUnavailable", 503),
    ],
)
def test_throttling_and_server_errors_are_transient_even_when_wrapped(code: str, status: int):
    wrapped = RuntimeError("the store wrapped it")
    wrapped.__cause__ = client_error(code, status)  # as PynamoDB and Powertools do (raise ... from)
    assert is_transient(wrapped)


@pytest.mark.parametrize(
    ("code", "status"),
    [("ConditionalCheckFailedException", 400), ("AccessDenied", 403), ("ValidationException", 400)],
)
def test_refusals_and_bad_requests_are_not_transient(code: str, status: int):
    assert not is_transient(client_error(code, status))
    assert not is_transient(ValueError("a bug"))
