"""The public privacy page in headless Chromium (Debian's package), driven by Playwright for Python.

Playwright's own browser download is never used: `executable_path` points at /usr/bin/chromium.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.standin import RunningStack

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is absent: install Debian's chromium package (apt-get install -y chromium)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _requests_api_exists(running: RunningStack) -> bool:
    document = requests.get(f"{running.api}/v1/openapi.json", timeout=30).json()
    return "post" in document.get("paths", {}).get("/v1/requests", {})


def test_page_shows_the_notice_banner_and_the_last_updated_date(running: RunningStack, page: Any):
    page.goto(f"{running.api}/privacy")
    assert page.get_by_role("note").filter(has_text="Important Notice: SMS Fallback Route").is_visible()
    assert page.locator(".last-updated").inner_text() == "Last Updated: November 30, 2025"
    assert page.get_by_role("heading", name="6. Your Rights").is_visible()
    assert page.get_by_role("link", name="Last Updated November 30, 2025").is_visible()


def test_policy_is_readable_with_javascript_off(running: RunningStack, browser: Any):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{running.api}/privacy")
        assert page.get_by_role("heading", name="6. Your Rights").is_visible()
        assert page.get_by_text("We will respond to your request within 30 days.").is_visible()
        # Playwright's text engine skips <noscript>, so read the paragraph itself.
        fallback = page.locator("#request p.warning")
        assert fallback.is_visible()
        assert fallback.inner_text().startswith("This form needs JavaScript.")
    finally:
        context.close()


def test_request_type_is_chosen_with_the_keyboard_and_shows_its_fields(running: RunningStack, page: Any):
    page.goto(f"{running.api}/privacy")
    corrections = page.get_by_role("group", name="What should we correct? (fill in only what is wrong)")
    assert not corrections.is_visible()
    page.get_by_label("Get a copy of my personal data (Access)").focus()
    page.keyboard.press("ArrowDown")  # radio groups move with the arrow keys
    assert page.get_by_label("Correct my personal data (Update)").is_checked()
    assert corrections.is_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Stop a use of my personal data (Object)").is_checked()
    assert page.get_by_label("Marketing emails and offers").is_visible()
    assert not corrections.is_visible()


def test_form_asks_for_a_way_to_reach_the_requester(running: RunningStack, page: Any):
    page.goto(f"{running.api}/privacy")
    page.get_by_role("button", name="Send request").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text() == "Please give your email address or your mobile number."
    assert page.get_by_label("Email address", exact=True).get_attribute("aria-invalid") == "true"


def test_a_request_sent_from_the_page_is_confirmed_verified_and_followed(running: RunningStack, page: Any):
    if not _requests_api_exists(running):
        reason = "POST /v1/requests is not on this branch yet (the API-requests issue); the form's error path is tested"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    email = f"browser-{uuid.uuid4().hex[:10]}@example.org"
    page.goto(f"{running.api}/privacy")
    assert page.get_by_role("note").filter(has_text="Important Notice: SMS Fallback Route").is_visible()
    assert page.locator(".last-updated").inner_text() == "Last Updated: November 30, 2025"
    page.get_by_label("Get a copy of my personal data (Access)").check()
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Details (optional)").fill("Please send me a copy of my data.")
    page.get_by_role("button", name="Send request").click()

    confirmation = page.get_by_role("status")
    confirmation.get_by_role("heading", name="Request received").wait_for()
    request_id = page.locator("#request-id").inner_text()
    assert request_id
    token = page.evaluate("id => localStorage.getItem('privacydesk:status:' + id)", request_id)
    assert token
    assert page.locator("#status-code").inner_text() == token

    # The emailed link opens a page with a button; loading it (as a mail scanner would) verifies nothing.
    (message,) = running.outbox(to=email)
    link = re.search(r"(https?://\S+/privacy/verify\?\S+)", message["text"]).group(1)
    page.goto(link)
    assert _status(running, request_id, token) == "pending_verification"
    page.get_by_role("button", name="Confirm my request").click()
    page.get_by_role("status").get_by_role("heading", name="Thank you, your request is confirmed").wait_for()
    # Fulfilment picks a verified access request up at once, so it may already be further along.
    assert _status(running, request_id, token) in ("verified", "in_progress", "completed")

    page.get_by_role("status").get_by_role("link", name="Check its status").click()
    assert page.get_by_label("Request id").input_value() == request_id
    assert page.get_by_label("Status code").input_value() == token  # kept from the confirmation
    page.get_by_role("button", name="Check status").click()
    page.get_by_role("status").get_by_role("heading", name="Your request").wait_for()
    shown = page.get_by_role("status").inner_text()
    assert any(word in shown for word in ("verified", "in_progress", "in progress", "completed"))


def _status(running: RunningStack, request_id: str, token: str) -> str:
    reply = requests.get(
        f"{running.api}/v1/requests/{request_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    reply.raise_for_status()
    return str(reply.json()["status"])


def test_verification_link_does_nothing_until_the_button_is_pressed(running: RunningStack, page: Any):
    page.goto(f"{running.api}/privacy/verify?request=req-does-not-exist&token=not-a-real-token")
    assert page.get_by_role("button", name="Confirm my request").is_visible()
    assert not page.get_by_role("alert").is_visible()
    page.get_by_role("button", name="Confirm my request").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text()  # the API refused the made-up request; the page says so
    assert not page.get_by_role("status").is_visible()
