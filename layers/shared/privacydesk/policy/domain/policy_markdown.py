"""Policy Markdown to HTML for the public page, with raw HTML escaped and unsafe links dropped.

Python-Markdown passes raw HTML through by default. The policy is written by the admin,
but the page must never run what a body carries, so raw HTML blocks and inline tags are
rendered as text, and links or images whose URL has a scheme other than http, https or
mailto lose it.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element  # nosec B405 - builds Markdown's tree, parses no XML

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

SAFE_SCHEMES = frozenset({"", "http", "https", "mailto"})


class _DropUnsafeUrls(Treeprocessor):
    def run(self, root: Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not _is_safe_url(value):
                    del element.attrib[attribute]


def _is_safe_url(url: str) -> bool:
    # Browsers decode entities and drop whitespace and control characters inside a scheme.
    cleaned = "".join(ch for ch in html.unescape(url) if ch.isprintable() and not ch.isspace())
    try:
        return urlsplit(cleaned).scheme.lower() in SAFE_SCHEMES
    except ValueError:
        return False


class _EscapeRawHtml(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_DropUnsafeUrls(md), "drop_unsafe_urls", 0)


def render_policy(markdown_text: str) -> str:
    """Safe HTML for a policy body; headings get ids (e.g. `6-your-rights`) to link sections."""
    converter = markdown.Markdown(extensions=[_EscapeRawHtml(), "toc", "sane_lists"], output_format="html")
    return str(converter.convert(markdown_text))
