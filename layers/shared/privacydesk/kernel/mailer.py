"""Outgoing email through SES v2, as raw MIME (text + HTML), behind a small port.

moto has no SES v2 templates, and raw MIME lets us set headers (List-Unsubscribe,
X-PrivacyDesk-*), so every message is rendered in code.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from privacydesk.kernel.aws import client
from privacydesk.kernel.ports import OutgoingEmail
from privacydesk.kernel.settings import get_settings


def to_mime(message: OutgoingEmail, sender: str) -> EmailMessage:
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(usegmt=True)
    mime["Message-ID"] = make_msgid(domain=sender.split("@", 1)[-1])
    for name, value in message.headers.items():
        mime[name] = value
    mime.set_content(message.text)
    if message.html:
        mime.add_alternative(message.html, subtype="html")
    return mime


class SesMailer:
    def __init__(self, sender: str | None = None) -> None:
        self.sender = sender or get_settings().sender_email

    def send(self, message: OutgoingEmail) -> str:
        request: dict[str, object] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [message.to]},
            "Content": {"Raw": {"Data": to_mime(message, self.sender).as_bytes()}},
        }
        if message.configuration_set:
            request["ConfigurationSetName"] = message.configuration_set
        reply = client("sesv2").send_email(**request)
        return str(reply["MessageId"])
