"""The running stand-in's log (every handler's Powertools lines, the dispatcher's and the SMTP
server's) holds no personal data: no demo person's email, phone or name, and no email address or
phone number at all. This module runs last in the session (see tests/e2e/conftest.py), so it
covers every e2e test that ran before it, and it first sends personal data through each public
entry point itself, so it also covers routes and functions that have no e2e test of their own."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
import requests

from local.seed import DEMO_ACCOUNTS, DEMO_SMS_RECIPIENTS
from tests.e2e.conftest import RunningStack
from tests.support.pii import find_personal_data

pytestmark = pytest.mark.e2e
RUNS_LAST = True


def _send_personal_data_through_every_entry_point(running: RunningStack) -> None:
    ana, ben, carla = DEMO_ACCOUNTS
    message = EmailMessage()
    message["From"] = f"{ana['name']} <{ana['email']}>"
    message["To"] = "privacy@example.com"
    message["Subject"] = f"Delete my data ({ana['phone']})"
    message.set_content(f"Hi, I am {ana['name']}, phone {ana['phone']}. Please delete everything.")
    with smtplib.SMTP(running.info["smtp"]["host"], running.info["smtp"]["port"], timeout=30) as client:
        client.send_message(message)
    # Each request type through the public API, by email and by phone, valid or not: whatever
    # status the routes answer, nothing they log may name the person.
    for kind in ("access", "update", "delete", "object", "inquiry"):
        for subject in ({"email": ben["email"], "name": ben["name"]}, {"phone": DEMO_SMS_RECIPIENTS[0]}):
            requests.post(f"{running.api}/v1/requests", json={"type": kind, **subject}, timeout=30)
    requests.post(f"{running.api}/v1/requests", data=f"email={carla['email']}", timeout=30)
    requests.get(f"{running.api}/v1/policy", params={"email": carla["email"], "phone": carla["phone"]}, timeout=30)
    requests.get(f"{running.api}/v1/requests/{carla['email']}", timeout=30)
    running.drain()


def test_stand_in_logs_hold_no_personal_data(running: RunningStack):
    _send_personal_data_through_every_entry_point(running)
    logs = running.logs()
    assert "PrivacyDesk is running" in logs, "the stand-in's log was not captured"
    findings = find_personal_data(logs)
    assert findings == [], "personal data in the stand-in's log:\n" + "\n".join(map(str, findings[:20]))
