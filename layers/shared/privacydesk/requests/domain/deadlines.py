"""The two clocks of a request: an answer within 48 business hours, a response within 30 days.

Business hours count only on business days in Asia/Manila: Monday to Friday, except Philippine
public holidays (from the `holidays` package). By default the whole business day counts, so
48 business hours are two business days; a working-hours window (e.g. 9-18) is configurable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Asia/Manila"
    country: str = "PH"
    day_start: time = time(0, 0)
    day_end: time | None = None  # None: until midnight (the whole day counts)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _holidays(self.country, day.year)

    def holiday_name(self, day: date) -> str | None:
        name = _holidays(self.country, day.year).get(day)
        return str(name) if name else None

    def _window(self, day: date) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.day_start, self.zone)
        end = (
            datetime.combine(day, self.day_end, self.zone)
            if self.day_end
            else datetime.combine(day + timedelta(days=1), time(0, 0), self.zone)
        )
        return start, end

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` of business time have passed after `start` (aware datetime)."""
        remaining = timedelta(hours=hours)
        cursor = start.astimezone(self.zone)
        while True:
            day = cursor.date()
            if self.is_business_day(day):
                window_start, window_end = self._window(day)
                begin = max(cursor, window_start)
                if begin < window_end:
                    available = window_end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            cursor = datetime.combine(day + timedelta(days=1), time(0, 0), self.zone)

    def business_hours_between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        total = timedelta()
        cursor = start.astimezone(self.zone)
        end = end.astimezone(self.zone)
        while cursor < end:
            day = cursor.date()
            if self.is_business_day(day):
                window_start, window_end = self._window(day)
                begin, finish = max(cursor, window_start), min(end, window_end)
                if begin < finish:
                    total += finish - begin
            cursor = datetime.combine(day + timedelta(days=1), time(0, 0), self.zone)
        return total.total_seconds() / 3600


@lru_cache(maxsize=32)
def _holidays(country: str, year: int) -> dict[date, str]:
    import holidays  # imported on first use: it is heavy and cold paths like GET routes never need it

    return dict(holidays.country_holidays(country, years=year))


@dataclass(frozen=True)
class ClockPolicy:
    acknowledge_business_hours: float = 48
    respond_days: int = 30
    calendar: BusinessCalendar = BusinessCalendar()


@dataclass(frozen=True)
class Clocks:
    received_at: datetime
    acknowledge_by: datetime
    respond_by: datetime


def clocks_for(received_at: datetime, policy: ClockPolicy | None = None) -> Clocks:
    chosen = policy or ClockPolicy()
    return Clocks(
        received_at=received_at,
        acknowledge_by=chosen.calendar.add_business_hours(received_at, chosen.acknowledge_business_hours),
        respond_by=received_at + timedelta(days=chosen.respond_days),
    )
