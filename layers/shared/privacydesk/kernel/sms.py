"""SMS one-time codes through SNS (a subject known only by phone proves control with one)."""

from __future__ import annotations

from privacydesk.kernel.aws import client


class SnsSmsSender:
    def send(self, phone_e164: str, text: str) -> str:
        reply = client("sns").publish(
            PhoneNumber=phone_e164,
            Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
        return str(reply["MessageId"])
