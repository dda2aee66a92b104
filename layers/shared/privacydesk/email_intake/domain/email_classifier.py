"""Which right an email asks for, in English and Filipino/Tagalog (Taglish too), with a confidence.

Cues are phrases, weighted: a strong cue ("delete my data", "burahin ang aking data") counts 1,
a weak one ("access", "kopya") 0.5. The Subject line counts 1.5 times; quoted or forwarded
text (after "> ", "On … wrote:", "Forwarded message", "Original Message") counts 0.3 times, and
only when the writer's own words name no right.
A cue preceded closely by a negation ("don't", "huwag", "hindi", "ayaw kong") does not count.

confidence = strength * separation, where strength = s / (s + 0.5) for the best score s and
separation = (s - runner-up) / s. Below `THRESHOLD` the message is an inquiry: an unclear
email is never guessed into a destructive type, and the DPO answers it on the 48-hour clock.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from privacydesk.requests.domain.model import RequestType

THRESHOLD = 0.6
SUBJECT_WEIGHT = 1.5
QUOTED_WEIGHT = 0.3

_DATA = r"(?:personal\s+)?(?:data|information|info|details|records?|account|profile)"
_MY = r"(?:my|our|all\s+(?:of\s+)?my|all)"
_AKING = r"(?:aking|ko|akin|ng\s+akin|namin|ko\s+na)"
_DATOS = r"(?:data|datos|impormasyon|personal\s+na\s+(?:data|impormasyon)|account|detalye)"

# (pattern, weight); patterns run on lower-case text without accents.
_CUES: dict[RequestType, list[tuple[str, float]]] = {
    RequestType.DELETE: [
        (rf"\b(?:delete|erase|remove|wipe|destroy|purge)\b(?:\W+\w+){{0,3}}?\W+{_MY}\W+(?:\w+\W+){{0,2}}?{_DATA}", 1.0),
        (r"\b(?:delete|erase|remove|close|deactivate)\s+(?:my\s+)?account\b", 1.0),
        (r"\bright\s+to\s+(?:erasure|be\s+forgotten)\b", 1.0),
        (r"\b(?:deletion|erasure)\s+(?:request|of\s+my)\b", 1.0),
        (r"\bforget\s+me\b", 1.0),
        (r"\b(?:paki)?-?(?:burahin|bura|burahin\s+na)\b", 1.0),
        (r"\b(?:paki)?-?tanggalin\b", 1.0),
        (rf"\b(?:paki-?)?(?:i-?)?delete\b(?:\W+\w+){{0,2}}?\W+(?:ang\s+)?{_DATOS}", 1.0),
        (rf"\balisin\b(?:\W+\w+){{0,2}}?\W+{_DATOS}", 1.0),
        (r"\b(?:delete|erase|deletion)\b", 0.5),
    ],
    RequestType.ACCESS: [
        (rf"\bcopy\s+of\s+(?:all\s+)?(?:my|the)\s+(?:\w+\s+)?{_DATA}", 1.0),
        (rf"\b(?:access|see|view|download|export|obtain|get)\s+(?:to\s+)?{_MY}\s+(?:\w+\s+)?{_DATA}", 1.0),
        (
            r"\bwhat\s+(?:personal\s+)?(?:data|information|info)\s+(?:do\s+)?you\s+(?:have|hold|keep|store|collect)",
            1.0,
        ),
        (r"\b(?:subject\s+access\s+request|dsar|sar|right\s+of\s+access|access\s+request)\b", 1.0),
        (rf"\bkopya\s+ng\s+(?:lahat\s+ng\s+)?(?:aking|ko|mga|akin)?\s*{_DATOS}", 1.0),
        (rf"\b(?:makita|malaman|hingin|humihingi|hinihingi|hinihiling)\b(?:\W+\w+){{0,3}}?\W+{_DATOS}", 1.0),
        (rf"\b(?:ano|anong|anu-?ano)\s+(?:ang\s+)?(?:mga\s+)?{_DATOS}", 1.0),
        (r"\bsend\s+(?:me|us)\s+(?:a\s+)?cop(?:y|ies)\b", 1.0),
        (r"\bkopya\b", 0.5),
        (r"\baccess\b", 0.5),
    ],
    RequestType.UPDATE: [
        (
            r"\b(?:correct|update|change|fix|amend|rectify)\s+(?:my|the)\s+(?:\w+\s+)?"
            r"(?:data|information|details|name|email|address|phone|number|mobile|company|record)",
            1.0,
        ),
        (r"\b(?:my|the)\s+(?:\w+\s+)?(?:name|email|address|number|company)\s+is\s+(?:wrong|incorrect|misspelled)", 1.0),
        (r"\b(?:rectification|right\s+to\s+rectify)\b", 1.0),
        (r"\b(?:paki-?)?itama\b", 1.0),
        (r"\b(?:paki-?)?baguhin\b", 1.0),
        (r"\b(?:paki-?)?palitan\b(?:\W+\w+){0,3}?\W+(?:pangalan|email|numero|address|kumpanya)", 1.0),
        (r"\bmali\s+ang\s+(?:aking\s+|ko\s+)?(?:pangalan|email|numero|address|detalye)", 1.0),
        (r"\b(?:correct|update|correction)\b", 0.5),
    ],
    RequestType.OBJECT: [
        (r"\bopt[\s-]?out\b", 1.0),
        (r"\bobject(?:ion)?\s+to\b", 1.0),
        (rf"\bstop\s+(?:using|processing|sharing|analy[sz]ing|profiling)\s+{_MY}?\s*(?:\w+\s+)?{_DATA}?", 1.0),
        (r"\bstop\s+(?:sending|texting|messaging|emailing|contacting)\s+me\b", 1.0),
        (r"\b(?:unsubscribe|withdraw\s+(?:my\s+)?consent|no\s+more\s+marketing)\b", 1.0),
        (r"\bdo\s+not\s+(?:use|process|share|sell)\s+my\b", 1.0),
        (r"\b(?:tumututol|tumutol|tutol)\b", 1.0),
        (r"\b(?:ayaw\s+ko|ayoko)\b(?!\s*(?:ng|na)?\s*(?:burahin|tanggalin|i-?delete|itama|baguhin))", 1.0),
        (r"\b(?:huwag|wag)\s+(?:nang\s+|na\s+)?(?:gamitin|gagamitin|ipadala|padalhan|i-?share)", 1.0),
        (r"\bitigil\s+(?:na\s+)?(?:ang\s+)?(?:paggamit|pagpapadala|pag-?text)", 1.0),
        (r"\b(?:object|objection|marketing)\b", 0.5),
    ],
}
_NEGATION = re.compile(
    r"(?:\b(?:don'?t|do\s+not|never|not|no\s+need\s+to|huwag|wag|hindi|di)\b|\bayaw\s+ko(?:ng)?\b|\bayokong?\b)"
    r"\W+(?:\w+\W+){0,2}$"
)
# Negation words are part of these cues, not a negation of them.
_NEGATION_EXEMPT = frozenset({RequestType.OBJECT})
_QUOTE_MARKERS = re.compile(
    r"^(?:-{2,}\s*(?:forwarded message|original message)\s*-{2,}|begin forwarded message:|"
    r"on .{0,200} wrote:|noong .{0,200} (?:ay )?sumulat:|from:\s.+|_{10,})\s*$",
    re.I,
)
_PURPOSES = {
    "marketing": r"\b(?:marketing|promo(?:tion)?s?|newsletters?|advert\w*|ads|offers?|unsubscribe|stop\s+(?:sending|texting|messaging|emailing))\b",  # noqa: E501
    "analytics": r"\b(?:analytics|analy[sz](?:is|e|ing)|usage\s+patterns|tracking|statistics)\b",
    "profiling": r"\b(?:profiling|profile\s+me|personali[sz]ation)\b",
}
ALL_OPTIONAL_PURPOSES = ("marketing", "analytics", "profiling")


@dataclass(frozen=True)
class Classification:
    type: RequestType
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    cues: list[str] = field(default_factory=list)  # which cue families matched (never the text itself)
    asked: RequestType | None = None  # the best-scoring right, even when too unclear to act on
    reason: str | None = None  # why it became an inquiry

    @property
    def clear(self) -> bool:
        return self.type != RequestType.INQUIRY


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[ \t\r\f\v]+", " ", plain.replace("\u2019", "'").lower())


def split_quoted(body: str) -> tuple[str, str]:
    """(the writer's own text, quoted or forwarded text)."""
    own: list[str] = []
    quoted: list[str] = []
    in_quote = False
    for line in body.splitlines():
        stripped = line.strip()
        if not in_quote and _QUOTE_MARKERS.match(stripped):
            in_quote = True
        if in_quote or stripped.startswith(">"):
            quoted.append(stripped.lstrip("> "))
        else:
            own.append(line)
    return "\n".join(own), "\n".join(quoted)


def _score(text: str, weight: float, scores: dict[RequestType, float], cues: set[str]) -> None:
    if not text.strip():
        return
    for kind, patterns in _CUES.items():
        best = 0.0
        for number, (pattern, strength) in enumerate(patterns):
            for match in re.finditer(pattern, text):
                if kind not in _NEGATION_EXEMPT and _NEGATION.search(text[max(0, match.start() - 40) : match.start()]):
                    continue
                best = max(best, strength)
                cues.add(f"{kind.value}:{number}")
                break
        scores[kind] = scores.get(kind, 0.0) + best * weight


def classify(subject: str, body: str) -> Classification:
    own, quoted = split_quoted(body)
    scores: dict[RequestType, float] = {}
    cues: set[str] = set()
    _score(normalise(subject), SUBJECT_WEIGHT, scores, cues)
    _score(normalise(own), 1.0, scores, cues)
    if not any(scores.values()):
        # Quoted or forwarded text is context: it counts (weakly) only when the writer's own words name nothing.
        _score(normalise(quoted), QUOTED_WEIGHT, scores, cues)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best_type, best = ranked[0] if ranked else (RequestType.INQUIRY, 0.0)
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = 0.0 if best <= 0 else round((best / (best + 0.5)) * ((best - runner_up) / best), 2)
    rounded = {kind.value: round(score, 2) for kind, score in scores.items() if score > 0}
    if best <= 0:
        return Classification(RequestType.INQUIRY, 0.0, rounded, sorted(cues), None, "no_right_named")
    if confidence < THRESHOLD:
        reason = "several_rights_named" if runner_up > 0 else "unclear"
        return Classification(RequestType.INQUIRY, confidence, rounded, sorted(cues), best_type, reason)
    return Classification(best_type, confidence, rounded, sorted(cues), best_type, None)


def purposes_named(subject: str, body: str) -> list[str]:
    """The processing purposes an objection names; none named means every optional purpose."""
    text = normalise(f"{subject}\n{split_quoted(body)[0]}")
    named = [purpose for purpose, pattern in _PURPOSES.items() if re.search(pattern, text)]
    return named or list(ALL_OPTIONAL_PURPOSES)


_CORRECTION_FIELDS = {
    "name": r"(?:full\s+)?name|pangalan",
    "company": r"company(?:\s+name)?|business\s+name|kumpanya",
    "phone": r"(?:phone|mobile|cell(?:phone)?)(?:\s+number)?|number|numero",
}
_CORRECTION = (
    r"(?:change|update|correct|fix|set)\s+(?:my|the)\s+(?P<field>{field})\s+(?:from\s+.{{1,80}}?\s+)?to\s*:?\s*"
    r"(?P<value>[^\n.;,]{{1,120}})"
)
_CORRECTION_TL = r"(?:palitan|itama|baguhin)\s+(?:ang\s+)?(?:aking\s+)?(?P<field>{field})(?:\s+ko)?\s+(?:ng|sa|to)\s*:?\s*(?P<value>[^\n.;,]{{1,120}})"  # noqa: E501


def corrections_named(body: str) -> dict[str, str]:
    """Field → new value, when the email states them plainly ("change my name to Ana S. Cruz")."""
    own = split_quoted(body)[0]
    found: dict[str, str] = {}
    for name, field_pattern in _CORRECTION_FIELDS.items():
        for template in (_CORRECTION, _CORRECTION_TL):
            match = re.search(template.format(field=field_pattern), own, re.I)
            if match and name not in found:
                value = match.group("value").strip().strip("\"'“”")
                if value:
                    found[name] = value[:120]
    return found
