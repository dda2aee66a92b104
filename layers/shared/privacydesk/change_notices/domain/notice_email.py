"""The significant-change email, rendered in code (text and HTML).

It is a transactional service notice owed to every registered account, not marketing, so it
carries no List-Unsubscribe header and says why. The X-PrivacyDesk-* headers come back in SES
events, which is how ses_feedback finds the ledger entry (ids only, no address).
"""

from __future__ import annotations

from html import escape

from privacydesk.kernel.ports import OutgoingEmail
from privacydesk.policy.domain.model import PolicyVersion
from privacydesk.requests.domain.notifications import manila_date, manila_time

VERSION_HEADER = "X-PrivacyDesk-Notice-Version"
ACCOUNT_HEADER = "X-PrivacyDesk-Account"
KIND_HEADER = "X-PrivacyDesk-Kind"
KIND = "policy-change"

TRANSACTIONAL_NOTE = (
    "You are receiving this service notice because you have a registered account with us and our "
    "Privacy Policy requires us to tell you about significant changes. It is not a marketing email, "
    "so there is nothing to unsubscribe from; it is sent once for this version."
)


def render_notice(version: PolicyVersion, account_id: str, base_url: str) -> tuple[str, str, str, dict[str, str]]:
    """Subject, text, HTML and headers of the notice (the address is added by the caller)."""
    link = f"{base_url.rstrip('/')}/privacy"
    effective = manila_time(version.effective_at)
    last_updated = version.last_updated.strftime("%d %B %Y")
    summary = version.summary.strip() or "See the policy for the full list of changes."
    subject = f"Changes to our Privacy Policy (effective {manila_date(version.effective_at)})"
    text = "\n".join(
        [
            "Hello,",
            "",
            "We have made significant changes to our Privacy Policy.",
            "",
            f"Version: {version.version}",
            f"Last Updated: {last_updated}",
            f"Takes effect: {effective}",
            "",
            "What is changing:",
            summary,
            "",
            f"Read the updated policy: {link}",
            "",
            f"If you keep using our services after {effective}, you accept the updated policy.",
            "If you do not agree, you can close your account or contact us before that date.",
            "",
            "--",
            TRANSACTIONAL_NOTE,
        ]
    )
    summary_html = "".join(f"<p>{escape(p)}</p>" for p in summary.split("\n\n"))
    html = (
        "<!doctype html><html lang='en'><body>"
        "<p>Hello,</p><p>We have made significant changes to our Privacy Policy.</p>"
        "<table role='presentation'>"
        f"<tr><th scope='row' align='left'>Version</th><td>{escape(version.version)}</td></tr>"
        f"<tr><th scope='row' align='left'>Last Updated</th><td>{escape(last_updated)}</td></tr>"
        f"<tr><th scope='row' align='left'>Takes effect</th><td>{escape(effective)}</td></tr>"
        "</table>"
        f"<h2>What is changing</h2>{summary_html}"
        f"<p><a href='{escape(link, quote=True)}'>Read the updated Privacy Policy</a></p>"
        f"<p>If you keep using our services after {escape(effective)}, you accept the updated policy. "
        "If you do not agree, you can close your account or contact us before that date.</p>"
        f"<hr><p><small>{escape(TRANSACTIONAL_NOTE)}</small></p>"
        "</body></html>"
    )
    headers = {VERSION_HEADER: version.version, ACCOUNT_HEADER: account_id, KIND_HEADER: KIND}
    return subject, text, html, headers


def notice_email(
    version: PolicyVersion, account_id: str, address: str, base_url: str, configuration_set: str | None
) -> OutgoingEmail:
    subject, text, html, headers = render_notice(version, account_id, base_url)
    return OutgoingEmail(
        to=address, subject=subject, text=text, html=html, headers=headers, configuration_set=configuration_set
    )
