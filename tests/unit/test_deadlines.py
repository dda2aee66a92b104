"""The clocks: 48 business hours in Manila (weekends and Philippine holidays stop the clock), 30 days."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from privacydesk.requests.domain.deadlines import BusinessCalendar, ClockPolicy, clocks_for

pytestmark = pytest.mark.unit

MANILA = ZoneInfo("Asia/Manila")


def manila(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=MANILA)


def test_two_plain_business_days():
    # Tuesday 10:00 -> Thursday 10:00
    assert clocks_for(manila(2026, 11, 17, 10)).acknowledge_by == manila(2026, 11, 19, 10)


def test_the_weekend_stops_the_clock():
    # Friday 15:00 -> Friday 9h + Monday 24h + Tuesday 15h -> Tuesday 15:00
    assert clocks_for(manila(2026, 11, 20, 15)).acknowledge_by == manila(2026, 11, 24, 15)


def test_a_request_received_on_saturday_starts_on_monday():
    assert clocks_for(manila(2026, 11, 21, 11)).acknowledge_by == manila(2026, 11, 25, 0)


def test_philippine_holidays_stop_the_clock():
    # Friday 27 Nov 12:00; Monday 30 Nov is Bonifacio Day -> 12h Fri + Tue 24h + Wed 12h
    assert clocks_for(manila(2026, 11, 27, 12)).acknowledge_by == manila(2026, 12, 2, 12)


def test_christmas_week():
    # Wed 23 Dec 09:00: 15h Wed; 24 (Christmas Eve) and 25 (Christmas) are holidays; weekend; Mon 28 24h; Tue 29 9h
    assert clocks_for(manila(2026, 12, 23, 9)).acknowledge_by == manila(2026, 12, 29, 9)


def test_respond_by_is_thirty_calendar_days():
    received = manila(2026, 12, 23, 9)
    assert (clocks_for(received).respond_by - received).days == 30


def test_working_hours_can_be_configured():
    office = ClockPolicy(acknowledge_business_hours=16, calendar=BusinessCalendar(day_start=time(9), day_end=time(17)))
    # Monday 16:00 -> 1h Monday, 8h Tuesday, 7h Wednesday -> Wednesday 16:00
    assert clocks_for(manila(2026, 11, 16, 16), office).acknowledge_by == manila(2026, 11, 18, 16)


def test_business_hours_between_skips_holidays_and_weekends():
    calendar = BusinessCalendar()
    assert calendar.business_hours_between(manila(2026, 11, 27, 12), manila(2026, 12, 2, 12)) == pytest.approx(48)
    assert calendar.holiday_name(manila(2026, 11, 30).date()) == "Bonifacio Day"
