"""Emails and SMS texts to requesters, rendered in code (text + HTML), in plain language.

They go only to the address (or phone) the subject verified, or for an emailed request to
the registered address of the account; never to a Reply-To.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from privacydesk.kernel.ports import OutgoingEmail
from privacydesk.requests.domain.model import PrivacyRequest, RequestType

MANILA = ZoneInfo("Asia/Manila")
COMPANY = "IPROG TECH"

_TYPE_TEXT = {
    RequestType.ACCESS: "a copy of your personal data (Access)",
    RequestType.UPDATE: "a correction of your personal data (Update)",
    RequestType.DELETE: "the deletion of your personal data (Delete)",
    RequestType.OBJECT: "an objection to some processing of your data (Object)",
    RequestType.INQUIRY: "your question about our privacy practices",
}


def manila_time(moment: datetime) -> str:
    """How every email gives a moment: in Asia/Manila, where the company and its DPO are, zone named."""
    return moment.astimezone(MANILA).strftime("%d %B %Y, %H:%M (Manila time)")


def manila_date(moment: datetime) -> str:
    """A day as every email gives it: the date in Asia/Manila."""
    return moment.astimezone(MANILA).strftime("%d %B %Y")


_when = manila_time


def _email(
    to: str, request: PrivacyRequest, subject: str, paragraphs: list[str], link: tuple[str, str] | None = None
) -> OutgoingEmail:
    footer = f"Reference: {request.request_id}\n{COMPANY} privacy team"
    text = "\n\n".join([*paragraphs, *([f"{link[0]}: {link[1]}"] if link else []), footer])
    html_parts = [f"<p>{escape(p)}</p>" for p in paragraphs]
    if link:
        html_parts.append(f'<p><a href="{escape(link[1], quote=True)}">{escape(link[0])}</a></p>')
    html_parts.append(f"<p><small>{escape(footer).replace(chr(10), '<br>')}</small></p>")
    return OutgoingEmail(
        to=to,
        subject=subject,
        text=text,
        html="<!doctype html><html><body>" + "".join(html_parts) + "</body></html>",
        headers={"X-PrivacyDesk-Request": request.request_id},
    )


def verification_email(to: str, request: PrivacyRequest, verify_url: str) -> OutgoingEmail:
    return _email(
        to,
        request,
        "Please confirm your privacy request",
        [
            f"We received a request for {_TYPE_TEXT[request.type]}.",
            "To protect your data, we act only after you confirm that you made this request. "
            "Open the link below and press the Confirm button. The link works once and expires in 24 hours.",
            "If you did not make this request, ignore this email and nothing will happen.",
        ],
        ("Confirm your request", verify_url),
    )


def verification_sms(code: str, link: str) -> str:
    return (
        f"{COMPANY}: your privacy request code is {code}. Enter it, or confirm here: {link} "
        "It expires in 24 hours. Ignore this if you did not ask."
    )


def inquiry_received_email(to: str, request: PrivacyRequest) -> OutgoingEmail:
    return _email(
        to,
        request,
        "We received your privacy question",
        [
            "Thank you for your question about our privacy practices.",
            f"We aim to answer within 48 business hours, by {_when(request.acknowledge_by)}.",
        ],
    )


def acknowledged_email(to: str, request: PrivacyRequest) -> OutgoingEmail:
    return _email(
        to,
        request,
        "Your privacy request is confirmed",
        [
            f"Thank you for confirming your request for {_TYPE_TEXT[request.type]}.",
            f"We will respond by {_when(request.respond_by)} at the latest (within 30 days).",
        ],
    )


def extended_email(to: str, request: PrivacyRequest, reason: str) -> OutgoingEmail:
    return _email(
        to,
        request,
        "We need more time for your privacy request",
        [
            f"We need more time to complete your request for {_TYPE_TEXT[request.type]}.",
            f"Reason: {reason}",
            f"We will now respond by {_when(request.respond_by)}.",
        ],
    )


def completed_email(to: str, request: PrivacyRequest, message: str | None) -> OutgoingEmail:
    paragraphs = [f"We have completed your request for {_TYPE_TEXT[request.type]}."]
    if message:
        paragraphs.append(message)
    told = request.outcome.get("processors") or {}
    if told:
        verb = "correct" if request.type == RequestType.UPDATE else "erase"
        names = "; ".join(str(entry.get("title") or name) for name, entry in sorted(told.items()))
        paragraphs.append(
            f"We have also asked the companies that received your data from us to {verb} it: {names}. "
            "We follow up until each confirms."
        )
    return _email(to, request, "Your privacy request is complete", paragraphs)


def denied_email(to: str, request: PrivacyRequest, reason: str) -> OutgoingEmail:
    return _email(
        to,
        request,
        "About your privacy request",
        [
            f"We could not carry out your request for {_TYPE_TEXT[request.type]}.",
            f"Reason: {reason}",
            "You may reply to this email or contact the National Privacy Commission if you disagree.",
        ],
    )


def expired_email(to: str, request: PrivacyRequest) -> OutgoingEmail:
    return _email(
        to,
        request,
        "Your privacy request has expired",
        [
            f"Your request for {_TYPE_TEXT[request.type]} was never confirmed, so we have closed it.",
            "You are welcome to make a new request at any time.",
        ],
    )


def expired_sms() -> str:
    return f"{COMPANY}: your privacy request was never confirmed, so we have closed it. You may make a new one."


def cancelled_email(to: str, request: PrivacyRequest) -> OutgoingEmail:
    return _email(
        to, request, "Your privacy request is cancelled", [f"Your request for {_TYPE_TEXT[request.type]} is cancelled."]
    )
