"""SMTP on 127.0.0.1:2525 playing SES email receiving.

Each message is stored raw in the inbound bucket (as SES's S3 action would) and handed to the
email function with an SES receiving event. The spf/dkim/dmarc verdicts come from the
message's Authentication-Results header (spam and virus too, if it carries them); each is
GRAY when the header says nothing.
"""

from __future__ import annotations

import email
import re
import uuid
from datetime import UTC, datetime
from email import policy
from typing import Any

import boto3
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from local.invoker import FunctionRunner
from privacydesk.kernel.observability import logger

EMAIL_FUNCTION = "EmailIntakeFunction"
INBOUND_PREFIX = "inbound/"
MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # SES receiving's limit


def verdicts_from(headers: list[tuple[str, str]]) -> dict[str, str]:
    found = {"spf": "GRAY", "dkim": "GRAY", "dmarc": "GRAY", "spam": "GRAY", "virus": "GRAY"}
    for name, value in headers:
        if name.lower() != "authentication-results":
            continue
        for check, result in re.findall(r"\b(spf|dkim|dmarc|spam|virus)\s*=\s*([a-zA-Z]+)", value):
            result = result.lower()
            # "PASS" is an SES verdict, not a password (bandit B105 is a false positive).
            found[check.lower()] = {"pass": "PASS", "fail": "FAIL", "hardfail": "FAIL"}.get(result, "GRAY")  # nosec B105
    return found


def ses_event(
    raw: bytes, message_id: str, recipients: list[str], mail_from: str, bucket: str, region: str, account: str
) -> dict[str, Any]:
    parsed = email.message_from_bytes(raw, policy=policy.compat32)
    headers = [(k, str(v)) for k, v in parsed.items()]
    verdicts = verdicts_from(headers)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def addresses(name: str) -> list[str]:
        return [str(v) for v in parsed.get_all(name, [])]

    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": now,
                        "source": mail_from,
                        "messageId": message_id,
                        "destination": recipients,
                        "headersTruncated": False,
                        "headers": [{"name": k, "value": v} for k, v in headers],
                        "commonHeaders": {
                            "returnPath": mail_from,
                            "from": addresses("From"),
                            "to": addresses("To"),
                            "date": str(parsed.get("Date", "")),
                            "messageId": str(parsed.get("Message-ID", "")),
                            "subject": str(parsed.get("Subject", "")),
                        },
                    },
                    "receipt": {
                        "timestamp": now,
                        "processingTimeMillis": 1,
                        "recipients": recipients,
                        "spamVerdict": {"status": verdicts["spam"]},
                        "virusVerdict": {"status": verdicts["virus"]},
                        "spfVerdict": {"status": verdicts["spf"]},
                        "dkimVerdict": {"status": verdicts["dkim"]},
                        "dmarcVerdict": {"status": verdicts["dmarc"]},
                        "dmarcPolicy": "reject" if verdicts["dmarc"] == "FAIL" else "none",
                        "action": {
                            "type": "Lambda",
                            "functionArn": f"arn:aws:lambda:{region}:{account}:function:{EMAIL_FUNCTION}",
                            "invocationType": "Event",
                        },
                    },
                },
            }
        ]
    }


class _InboundHandler:
    def __init__(self, runner: FunctionRunner) -> None:
        self.runner = runner
        stack = runner.stack
        self.bucket = stack.physical["InboundMailBucket"]
        self.s3 = boto3.client("s3", region_name=stack.region, endpoint_url=stack.endpoint_url)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message_id = uuid.uuid4().hex
        self.s3.put_object(Bucket=self.bucket, Key=f"{INBOUND_PREFIX}{message_id}", Body=raw)
        event = ses_event(
            raw,
            message_id,
            list(envelope.rcpt_tos),
            str(envelope.mail_from or ""),
            self.bucket,
            self.runner.stack.region,
            self.runner.stack.account,
        )
        if EMAIL_FUNCTION not in self.runner.specs:
            logger.warning("no email function in template; message kept in S3", extra={"message_id": message_id})
            return "250 Message accepted (stored)"
        # SES invokes asynchronously and retries twice; the sender's 250 does not depend on it.
        for attempt in range(3):
            try:
                self.runner.invoke(EMAIL_FUNCTION, event)
                break
            except Exception:  # noqa: BLE001 - as Lambda's async retries; the raw mail stays in S3
                logger.exception("email function failed", extra={"message_id": message_id, "attempt": attempt + 1})
        return f"250 Message accepted as {message_id}"


def start_smtp(runner: FunctionRunner, port: int) -> Controller:
    controller = Controller(_InboundHandler(runner), hostname="127.0.0.1", port=port, data_size_limit=MAX_MESSAGE_BYTES)
    controller.start()
    return controller
