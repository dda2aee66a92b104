"""The public privacy page's HTML, rendered on the server (no build step, no JavaScript needed to read).

Every value that comes from data is escaped with `html.escape`; the policy body goes through
`policy_markdown.render_policy`, which escapes raw HTML. The form, verification and status
pages use one small script (`/privacy/static/privacy.js`), loaded under a CSP that allows
only this origin.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from html import escape

from privacydesk.policy.domain.model import Notice, PolicyDiff, VersionStatus, VersionSummary
from privacydesk.policy.domain.policy_markdown import render_policy

STATIC = "/privacy/static"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _time(moment: datetime) -> str:
    return f'<time datetime="{_e(moment.isoformat())}">{_e(long_date(moment.date()))}</time>'


def layout(title: str, main: str, *, banners: str = "", script: bool = False) -> str:
    script_tag = f'<script src="{STATIC}/privacy.js" defer></script>' if script else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<link rel="stylesheet" href="{STATIC}/privacy.css">
{script_tag}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<p class="brand"><a href="/privacy">Privacy</a></p>
<nav aria-label="Privacy pages"><ul>
<li><a href="/privacy">Policy</a></li>
<li><a href="/privacy#request">Make a request</a></li>
<li><a href="/privacy/status">Request status</a></li>
</ul></nav>
</header>
{banners}
<main id="main" tabindex="-1">
{main}
</main>
<footer class="site"><p><a href="/v1/policy">This policy as JSON</a> ·
<a href="/v1/openapi.json">API</a></p></footer>
</body>
</html>
"""


def notice_banners(notices: list[Notice]) -> str:
    if not notices:
        return ""
    items = "\n".join(
        f"""<div class="notice notice-{_e(n.severity.value)}" role="note" aria-labelledby="notice-{_e(n.notice_id)}">
<p class="notice-title" id="notice-{_e(n.notice_id)}"><strong>{_e(n.title)}</strong></p>
{f"<p>{_e(n.body)}</p>" if n.body else ""}
</div>"""
        for n in notices
    )
    return f'<section class="notices" aria-label="Notices">\n{items}\n</section>'


def _strip_title_heading(body_markdown: str, title: str) -> str:
    lines = body_markdown.lstrip().splitlines()
    if lines and lines[0].lstrip("#").strip() == title.strip() and lines[0].startswith("# "):
        return "\n".join(lines[1:])
    return body_markdown


# The policy's "Contact Us" section: its heading and the paragraph that introduces the address.
_CONTACT_SECTION = re.compile(r'(<h2 id="[^"]*contact-us"[^>]*>.*?</h2>\s*<p>.*?</p>)', re.IGNORECASE | re.DOTALL)


def with_contact_address(policy_html: str, contact_email: str) -> str:
    """The company's address in the policy's Contact Us section (the published text does not carry it:
    it comes from configuration, so a new address needs no new policy version)."""
    if not contact_email:
        return policy_html
    address = f'<p class="contact-address">Email: <a href="mailto:{_e(contact_email)}">{_e(contact_email)}</a></p>'
    return _CONTACT_SECTION.sub(lambda found: f"{found.group(1)}\n{address}", policy_html, count=1)


def _policy_article(
    title: str, last_updated: date, body_markdown: str, extra: str = "", contact_email: str = ""
) -> str:
    body = with_contact_address(render_policy(_strip_title_heading(body_markdown, title)), contact_email)
    return f"""<article class="policy" aria-labelledby="policy-title">
<h1 id="policy-title">{_e(title)}</h1>
<p class="last-updated">Last Updated:
<time datetime="{_e(last_updated.isoformat())}">{_e(long_date(last_updated))}</time></p>
{extra}
{body}
</article>"""


def _version_list(versions: list[VersionSummary], shown: str) -> str:
    items = []
    for v in versions:
        label = f"Last Updated {long_date(v.last_updated)}"
        status = {
            VersionStatus.CURRENT: " (in force)",
            VersionStatus.UPCOMING: f" (takes effect {long_date(v.effective_at.date())})",
            VersionStatus.SUPERSEDED: "",
        }[v.status]
        current = ' aria-current="page"' if v.version == shown else ""
        items.append(
            f'<li><a href="/privacy/versions/{_e(v.version)}"{current}>{_e(label)}</a>{_e(status)}'
            f"{f' — {_e(v.summary)}' if v.summary else ''}</li>"
        )
    return f"""<nav class="versions" aria-labelledby="versions-title">
<h2 id="versions-title">All versions of this policy</h2>
<ul>
{chr(10).join(items)}
</ul>
</nav>"""


def _upcoming_notice(versions: list[VersionSummary]) -> str:
    upcoming = [v for v in versions if v.status is VersionStatus.UPCOMING]
    if not upcoming:
        return ""
    nxt = min(upcoming, key=lambda v: v.effective_at)
    return f"""<aside class="upcoming" aria-label="Upcoming change">
<p><strong>An updated policy takes effect on {_time(nxt.effective_at)}.</strong> {_e(nxt.summary)}
<a href="/privacy/versions/{_e(nxt.version)}">Read the updated policy</a>.</p>
</aside>"""


def policy_page(
    *,
    title: str,
    version: str,
    last_updated: date,
    body_markdown: str,
    notices: list[Notice],
    versions: list[VersionSummary],
    sender_email: str,
    contact_email: str = "",
) -> str:
    main = (
        _upcoming_notice(versions)
        + _policy_article(title, last_updated, body_markdown, contact_email=contact_email)
        + _version_list(versions, version)
        + request_form(sender_email)
    )
    return layout(
        f"{title} (Last Updated {long_date(last_updated)})", main, banners=notice_banners(notices), script=True
    )


def version_page(
    *,
    summary: VersionSummary,
    body_markdown: str,
    notices: list[Notice],
    versions: list[VersionSummary],
    changes: PolicyDiff | None,
    contact_email: str = "",
) -> str:
    state = {
        VersionStatus.CURRENT: "This is the version in force.",
        VersionStatus.UPCOMING: f"This version takes effect on {long_date(summary.effective_at.date())}.",
        VersionStatus.SUPERSEDED: "This is an earlier version; it has been replaced.",
    }[summary.status]
    intro = (
        f'<p class="version-state"><strong>{_e(state)}</strong> '
        f'<a href="/privacy">Read the policy in force</a>.</p>'
        + (f'<p class="version-summary">What changed: {_e(summary.summary)}</p>' if summary.summary else "")
    )
    main = (
        _policy_article(summary.title, summary.last_updated, body_markdown, extra=intro, contact_email=contact_email)
        + _changes(changes)
        + _version_list(versions, summary.version)
    )
    return layout(
        f"{summary.title} (Last Updated {long_date(summary.last_updated)})", main, banners=notice_banners(notices)
    )


def _changes(diff: PolicyDiff | None) -> str:
    if diff is None:
        return ""
    changed = [s for s in diff.sections if s.change != "unchanged"]
    if not changed:
        body = "<p>No section changed.</p>"
    else:
        body = "\n".join(
            f"""<details><summary>{_e(s.heading or "Preamble")} ({_e(s.change)})</summary>
<pre class="diff">{_e(s.diff)}</pre></details>"""
            for s in changed
        )
    return f"""<section class="changes" aria-labelledby="changes-title">
<h2 id="changes-title">Changes from the version of {_e(diff.from_version)}</h2>
{body}
</section>"""


def request_form(sender_email: str) -> str:
    return f"""<section class="request" id="request" aria-labelledby="request-title">
<h2 id="request-title">Make a privacy request</h2>
<p>Use this form to exercise your rights (access, update, delete, object) or to ask us a question.
We send a link to confirm it is you before we act. You can also email
<a href="mailto:{_e(sender_email)}">{_e(sender_email)}</a>.</p>
<noscript><p class="warning">This form needs JavaScript. Without it, please email
<a href="mailto:{_e(sender_email)}">{_e(sender_email)}</a>.</p></noscript>
<form id="request-form" novalidate>
<fieldset>
<legend>What would you like to do?</legend>
<div class="choice"><input type="radio" id="type-access" name="type" value="access" required checked>
<label for="type-access">Get a copy of my personal data (Access)</label></div>
<div class="choice"><input type="radio" id="type-update" name="type" value="update">
<label for="type-update">Correct my personal data (Update)</label></div>
<div class="choice"><input type="radio" id="type-delete" name="type" value="delete">
<label for="type-delete">Delete my personal data (Delete)</label></div>
<div class="choice"><input type="radio" id="type-object" name="type" value="object">
<label for="type-object">Stop a use of my personal data (Object)</label></div>
<div class="choice"><input type="radio" id="type-inquiry" name="type" value="inquiry">
<label for="type-inquiry">Ask a question about my privacy</label></div>
</fieldset>
<fieldset>
<legend>How we can reach you</legend>
<p class="hint" id="contact-hint">Give the email address or the mobile number we know you by.</p>
<div class="field"><label for="request-email">Email address</label>
<input type="email" id="request-email" name="email" autocomplete="email" aria-describedby="contact-hint"></div>
<div class="field"><label for="request-phone">Mobile number (with country code, e.g. +63…)</label>
<input type="tel" id="request-phone" name="phone" autocomplete="tel" aria-describedby="contact-hint"></div>
<div class="field"><label for="request-name">Your name (optional)</label>
<input type="text" id="request-name" name="name" autocomplete="name"></div>
</fieldset>
<fieldset id="corrections" data-for-type="update" hidden>
<legend>What should we correct? (fill in only what is wrong)</legend>
<div class="field"><label for="correct-name">Correct name</label>
<input type="text" id="correct-name" name="correction-name" autocomplete="off"></div>
<div class="field"><label for="correct-email">Correct email address</label>
<input type="email" id="correct-email" name="correction-email" autocomplete="off"></div>
<div class="field"><label for="correct-phone">Correct mobile number</label>
<input type="tel" id="correct-phone" name="correction-phone" autocomplete="off"></div>
<div class="field"><label for="correct-company">Correct company</label>
<input type="text" id="correct-company" name="correction-company" autocomplete="off"></div>
</fieldset>
<fieldset id="purposes" data-for-type="object" hidden>
<legend>Which uses do you object to?</legend>
<div class="choice"><input type="checkbox" id="purpose-marketing" name="purposes" value="marketing">
<label for="purpose-marketing">Marketing emails and offers</label></div>
<div class="choice"><input type="checkbox" id="purpose-analytics" name="purposes" value="analytics">
<label for="purpose-analytics">Analytics and service improvement</label></div>
</fieldset>
<div class="field"><label for="request-details">Details (optional)</label>
<textarea id="request-details" name="details" rows="4"></textarea></div>
<button type="submit">Send request</button>
</form>
<div id="request-error" class="error" role="alert" tabindex="-1" hidden></div>
<div id="request-result" class="result" role="status" tabindex="-1" hidden></div>
</section>"""


def verify_page(request_id: str, token: str) -> str:
    main = f"""<h1>Confirm your privacy request</h1>
<p>To protect your data, we act on a request only after you confirm it. Press the button to confirm request
<code>{_e(request_id)}</code>.</p>
<noscript><p class="warning">Confirming needs JavaScript. Please enable it, or reply to our email.</p></noscript>
<form id="verify-form" data-request="{_e(request_id)}" data-token="{_e(token)}">
<button type="submit">Confirm my request</button>
</form>
<div id="verify-error" class="error" role="alert" tabindex="-1" hidden></div>
<div id="verify-result" class="result" role="status" tabindex="-1" hidden></div>"""
    return layout("Confirm your privacy request", main, script=True)


def status_page(request_id: str) -> str:
    main = f"""<h1>Check a request</h1>
<p>Enter your request id and the status code we showed you when you sent it.</p>
<noscript><p class="warning">This page needs JavaScript.
Without it, please email us and quote your request id.</p></noscript>
<form id="status-form" novalidate>
<div class="field"><label for="status-request">Request id</label>
<input type="text" id="status-request" name="request" value="{_e(request_id)}" required autocomplete="off"></div>
<div class="field"><label for="status-token">Status code</label>
<input type="password" id="status-token" name="token" required autocomplete="off"></div>
<button type="submit">Check status</button>
</form>
<div id="status-error" class="error" role="alert" tabindex="-1" hidden></div>
<div id="status-result" class="result" role="status" tabindex="-1" hidden></div>"""
    return layout("Check a privacy request", main, script=True)


def not_found_page(what: str) -> str:
    main = f"""<h1>Not found</h1>
<p>{_e(what)}</p>
<p><a href="/privacy">Read the privacy policy</a>.</p>"""
    return layout("Not found", main)
