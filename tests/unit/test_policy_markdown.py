"""The policy body is rendered as HTML without running anything it carries."""

import pytest

from privacydesk.policy.domain.policy_markdown import render_policy

pytestmark = pytest.mark.unit


def test_raw_html_in_the_policy_is_shown_as_text():
    html = render_policy('<script>alert(1)</script>\n\nText with <img src=x onerror="alert(2)"> inline.')
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java&#10;script:alert(1)", "data:text/html,x"]
)
def test_links_with_unsafe_schemes_lose_their_target(url: str):
    html = render_policy(f"[click]({url})")
    assert "href" not in html


def test_ordinary_links_and_headings_keep_working():
    html = render_policy("## 9. Contact Us\n\n[email](mailto:privacy@example.com) or [page](https://example.com/x)")
    assert '<h2 id="9-contact-us">9. Contact Us</h2>' in html
    assert 'href="https://example.com/x"' in html
    assert 'href="mailto:privacy@example.com"' in html
