"""Reads an inbound email (raw MIME) with the stdlib `email` package, defensively.

The raw message is fed to `BytesFeedParser` in chunks as it streams from S3, so the raw bytes
are never held twice. What comes out is what intake needs: the sender (From), Reply-To (kept
only as a fact, never as a destination), the Subject, the readable text (text/plain parts, or
HTML turned into text), and the attachments, whose bytes are produced one at a time for storage
and never opened. Malformed input never raises: problems become `defects`, and anything that
cannot be read at all is reported as `unreadable` so the caller can list it for review.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.feedparser import BytesFeedParser
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import getaddresses
from html.parser import HTMLParser

MAX_HEADER_CHARS = 8_000  # longer From/Reply-To/Subject values are not parsed structurally
MAX_TEXT_CHARS = 200_000  # enough to classify; the raw message stays in S3
MAX_ATTACHMENTS = 50
_SINGLE_BYTE_CHARSETS = re.compile(r"^(us-?ascii|ascii|iso-?8859-\d+|latin-?1|l1|(windows|cp)-?125\d)$", re.I)


@dataclass(frozen=True)
class AttachmentPart:
    index: int
    filename: str | None
    content_type: str
    payload: Callable[[], bytes]  # decoded bytes, produced on demand (one attachment in memory at a time)


@dataclass
class ParsedEmail:
    sender: str | None  # the From address, normalised (lower-case); None when missing or not one address
    sender_problem: str | None  # why `sender` is None: missing_from, multiple_from, invalid_from
    reply_to: list[str]
    subject: str
    text: str
    attachments: list[AttachmentPart]
    defects: list[str] = field(default_factory=list)
    size: int = 0


class _HtmlToText(HTMLParser):
    """HTML to readable text: drops script/style/head, breaks lines at block elements."""

    _BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr", "pre"}
    )
    _SKIP = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        if tag == "blockquote":
            self.parts.append("> ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    converter = _HtmlToText()
    try:
        converter.feed(html)
        converter.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; this is the last guard
        return re.sub(r"<[^>]*>", " ", html)
    text = "".join(converter.parts)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def decode_text(payload: bytes, declared: str | None) -> str:
    """Bytes of a text part as str, surviving wrong or unknown charsets.

    A part labelled with a single-byte charset whose bytes are valid UTF-8 is read as UTF-8
    (the usual "wrong charset" mistake); otherwise the declared charset, then UTF-8, then
    Windows-1252 with replacement characters.
    """
    candidates: list[str] = []
    if declared and _SINGLE_BYTE_CHARSETS.match(declared.strip()):
        candidates.append("utf-8")
    if declared:
        candidates.append(declared.strip())
    candidates.append("utf-8")
    for charset in candidates:
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return payload.decode("cp1252", errors="replace")


def parse_chunks(chunks: Iterable[bytes]) -> EmailMessage:
    """Feed the raw message to the parser chunk by chunk (never the whole message at once)."""
    parser = BytesFeedParser(policy=policy.default)
    for chunk in chunks:
        parser.feed(chunk)
    message = parser.close()
    assert isinstance(message, EmailMessage)  # nosec B101 - policy.default builds EmailMessage (typing only)
    return message


def _raw_header(message: Message, name: str) -> list[str]:
    """Raw header values (as received), without structured parsing."""
    found: list[str] = []
    try:
        for key, value in message.raw_items():  # type: ignore[attr-defined]
            if key.lower() == name.lower():
                found.append(str(value))
    except Exception:  # noqa: BLE001
        return found
    return found


def _header_text(message: Message, name: str, defects: list[str]) -> str:
    raw = _raw_header(message, name)
    if not raw:
        return ""
    if len(raw[0]) > MAX_HEADER_CHARS:
        defects.append(f"{name.lower()}_too_long")
        return raw[0][:MAX_HEADER_CHARS]
    try:
        return str(message.get(name, ""))  # RFC 2047 decoded by policy.default
    except Exception:  # noqa: BLE001 - malformed encoded words and the like
        defects.append(f"{name.lower()}_unparseable")
        return raw[0]


def _addresses(message: Message, name: str, defects: list[str]) -> list[str]:
    raw = _raw_header(message, name)
    if not raw:
        return []
    if any(len(value) > MAX_HEADER_CHARS for value in raw):
        defects.append(f"{name.lower()}_too_long")
        return []
    found: list[str] = []
    try:
        for header in message.get_all(name, []):
            for address in getattr(header, "addresses", ()):
                if isinstance(address, Address) and address.addr_spec and "@" in address.addr_spec:
                    found.append(address.addr_spec)
    except Exception:  # noqa: BLE001 - fall back to the lenient parser
        defects.append(f"{name.lower()}_unparseable")
        found = [addr for _, addr in getaddresses(raw) if "@" in addr]
    return found


def _sender(message: Message, defects: list[str]) -> tuple[str | None, str | None]:
    raw = _raw_header(message, "From")
    if not raw:
        return None, "missing_from"
    addresses = _addresses(message, "From", defects)
    if len(raw) > 1 or len(addresses) > 1:
        return None, "multiple_from"
    if len(addresses) != 1 or not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", addresses[0]):
        return None, "invalid_from"
    return addresses[0].lower(), None


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
    except Exception:  # noqa: BLE001
        return True
    if disposition == "attachment" or filename:
        return True
    return part.get_content_maintype() not in ("text", "multipart", "message")


def _payload_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken base64 or quoted-printable
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", errors="replace") if isinstance(raw, str) else b""


def _part_text(part: Message) -> str:
    return decode_text(_payload_bytes(part), part.get_content_charset())


def _safe_filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        return None
    if not name:
        return None
    cleaned = re.sub(r"[\x00-\x1f\x7f/\\]", "_", str(name)).strip()
    return cleaned[:200] or None


def _walk(message: Message) -> Iterator[Message]:
    try:
        yield from message.walk()
    except Exception:  # noqa: BLE001 - a broken tree still yields what it can
        return


def read_message(message: EmailMessage, size: int = 0) -> ParsedEmail:
    """What intake needs from a parsed message. Never raises on malformed content."""
    defects: list[str] = sorted({type(d).__name__ for part in _walk(message) for d in getattr(part, "defects", [])})
    sender, sender_problem = _sender(message, defects)
    reply_to = [a.lower() for a in _addresses(message, "Reply-To", defects)]
    subject = " ".join(_header_text(message, "Subject", defects).split())
    plain: list[str] = []
    html: list[str] = []
    attachments: list[AttachmentPart] = []
    for part in _walk(message):
        if part.is_multipart():
            continue
        if _is_attachment(part):
            if len(attachments) < MAX_ATTACHMENTS:
                attachments.append(
                    AttachmentPart(
                        index=len(attachments),
                        filename=_safe_filename(part),
                        content_type=part.get_content_type(),
                        payload=lambda part=part: _payload_bytes(part),  # type: ignore[misc]
                    )
                )
            else:
                defects.append("too_many_attachments")
            continue
        subtype = part.get_content_subtype()
        if subtype == "html":
            html.append(_part_text(part))
        else:
            plain.append(_part_text(part))
    text = "\n\n".join(t for t in plain if t.strip())
    if not text.strip() and html:
        text = "\n\n".join(html_to_text(h) for h in html)
    return ParsedEmail(
        sender=sender,
        sender_problem=sender_problem,
        reply_to=reply_to,
        subject=subject,
        text=text[:MAX_TEXT_CHARS],
        attachments=attachments,
        defects=sorted(set(defects)),
        size=size,
    )
