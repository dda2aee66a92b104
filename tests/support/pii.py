"""Find personal data in log output: the demo people's emails, phones and names, any email
address or phone number at all, and the markers `privacydesk.kernel.observability` leaves where it
had to redact one (a marker means some code tried to log personal data: fix it at its source).

System addresses (the template's SenderEmail and DpoEmail) are not personal data and are allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from local import sam_template
from local.seed import DEMO_ACCOUNTS, DEMO_SMS_RECIPIENTS
from privacydesk.kernel.observability import EMAIL_PATTERN, PHONE_PATTERN, REDACTION_MARKERS


@dataclass(frozen=True)
class Finding:
    line_number: int
    kind: str
    line: str

    def __str__(self) -> str:
        return f"line {self.line_number} ({self.kind}): {self.line[:300]}"


@cache
def system_addresses() -> frozenset[str]:
    parameters = sam_template.load().get("Parameters", {})
    return frozenset(
        str(spec["Default"]).lower()
        for spec in parameters.values()
        if isinstance(spec.get("Default"), str) and EMAIL_PATTERN.fullmatch(spec["Default"])
    )


@cache
def demo_values() -> dict[str, tuple[str, ...]]:
    """The literal values of the demo people, in every form a log line could carry them."""
    emails = [person["email"] for person in DEMO_ACCOUNTS]
    phones = [person["phone"] for person in DEMO_ACCOUNTS] + list(DEMO_SMS_RECIPIENTS)
    names = [person["name"] for person in DEMO_ACCOUNTS]
    return {
        "demo email": tuple(emails),
        # E.164 with and without the +, and the national form (0917...) for +63 numbers.
        "demo phone": tuple({form for p in phones for form in (p, p[1:], "0" + p[3:] if p.startswith("+63") else p)}),
        # Full names, and surnames on their own (a greeting "Dear Santos" is as personal).
        "demo name": tuple(names) + tuple(name.split()[-1] for name in names),
    }


def find_personal_data(text: str) -> list[Finding]:
    findings: list[Finding] = []
    allowed = system_addresses()
    values = demo_values()
    for number, line in enumerate(text.splitlines(), start=1):
        kinds: list[str] = []
        for kind, candidates in values.items():
            if any(_contains_word(line, value) for value in candidates):
                kinds.append(kind)
        if any(match.group(0).lower() not in allowed for match in EMAIL_PATTERN.finditer(line)):
            kinds.append("email address")
        if PHONE_PATTERN.search(line):
            kinds.append("phone number")
        if any(marker in line for marker in REDACTION_MARKERS):
            kinds.append("redacted by the log formatter: the code logged personal data")
        findings.extend(Finding(number, kind, line) for kind in kinds)
    return findings


def _contains_word(line: str, value: str) -> bool:
    return re.search(rf"(?<![\w.+@-]){re.escape(value)}(?![\w@-])", line) is not None
