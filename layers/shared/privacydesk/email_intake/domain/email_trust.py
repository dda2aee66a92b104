"""How far an inbound email may be trusted, from SES's verdicts and the account directory.

- virus FAIL: quarantine, do not process.
- spam FAIL, DMARC FAIL, or (no DMARC pass and both SPF and DKIM failing): untrusted.
- a sender that is not a registered account: untrusted for rights requests (an inquiry may be
  answered at the From address, never at Reply-To).
Untrusted requests get no destructive action: they are recorded unverified, on hold, with the
reasons. Trusted ones still prove control: the confirmation link goes to the registered address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

VERDICT_NAMES = ("spf", "dkim", "dmarc", "spam", "virus")


class Disposition(StrEnum):
    QUARANTINE = "quarantine"  # virus: keep aside, never process
    TRUSTED = "trusted"  # registered sender, no failing check: confirmation to the registered address
    UNTRUSTED = "untrusted"  # record unverified for the DPO; no destructive action, no confirmation


@dataclass(frozen=True)
class Verdicts:
    spf: str = "GRAY"
    dkim: str = "GRAY"
    dmarc: str = "GRAY"
    spam: str = "GRAY"
    virus: str = "GRAY"
    dmarc_policy: str | None = None

    @classmethod
    def of(cls, receipt: dict[str, Any]) -> Verdicts:
        """From an SES receipt (`ses.receipt`); a missing or odd verdict counts as GRAY."""

        def status(name: str) -> str:
            value = receipt.get(f"{name}Verdict")
            raw = value.get("status") if isinstance(value, dict) else None
            text = str(raw).upper() if raw else "GRAY"
            return text if text in ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED", "DISABLED") else "GRAY"

        policy = receipt.get("dmarcPolicy")
        return cls(
            spf=status("spf"),
            dkim=status("dkim"),
            dmarc=status("dmarc"),
            spam=status("spam"),
            virus=status("virus"),
            dmarc_policy=str(policy).lower() if policy else None,
        )

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in VERDICT_NAMES}


@dataclass(frozen=True)
class TrustDecision:
    disposition: Disposition
    reasons: list[str] = field(default_factory=list)
    registered_email: str | None = None
    account_id: str | None = None

    @property
    def trusted(self) -> bool:
        return self.disposition == Disposition.TRUSTED

    def record(self, verdicts: Verdicts, reply_to: list[str], sender: str | None) -> dict[str, Any]:
        """The `trust` dict stored on the request: verdicts and why it is (un)verified."""
        return {
            "verified": self.trusted,
            "reasons": list(self.reasons),
            "verdicts": verdicts.as_dict(),
            "dmarc_policy": verdicts.dmarc_policy,
            "registered_email": self.registered_email,
            "account_id": self.account_id,
            # Reply-To is kept as a fact for the DPO and is never written to.
            "reply_to_differs": bool(reply_to) and any(address != sender for address in reply_to),
        }


def assess(verdicts: Verdicts, *, registered_email: str | None, account_id: str | None) -> TrustDecision:
    """`registered_email` is the account's address when the From address belongs to an account."""
    if verdicts.virus == "FAIL":
        return TrustDecision(Disposition.QUARANTINE, ["virus"], registered_email, account_id)
    reasons: list[str] = []
    if verdicts.spam == "FAIL":
        reasons.append("spam")
    if verdicts.dmarc == "FAIL":
        reasons.append("dmarc_fail")
    elif verdicts.dmarc != "PASS" and verdicts.spf == "FAIL" and verdicts.dkim == "FAIL":
        reasons.append("authentication_failed")
    if registered_email is None:
        reasons.append("sender_not_registered")
    disposition = Disposition.UNTRUSTED if reasons else Disposition.TRUSTED
    return TrustDecision(disposition, reasons, registered_email, account_id)


def may_answer_sender(decision: TrustDecision) -> bool:
    """An inquiry may be answered at the From address when only the registration is missing."""
    return decision.trusted or decision.reasons == ["sender_not_registered"]
