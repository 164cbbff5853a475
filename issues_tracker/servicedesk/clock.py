"""Service-level clocks and targets.

P1 clocks run round the clock; P2–P4 clocks run in business hours only: by default
Monday to Friday 09:00–17:00 Europe/London with England-and-Wales bank holidays
excluded, taken from the maintained ``holidays`` package. ``BUSINESS_HOURS``
(config.py) changes the calendar.

Elapsed business time is a difference of two positions on a cumulative line of
business seconds. Each day's window is placed once, its start and end as UTC
instants, so a daylight-saving change is exact whatever the window; a position is
the business seconds of the days before plus the part of the day's window already
passed. Measuring a record is then two lookups, whatever its length.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LONDON = ZoneInfo("Europe/London")

MINUTE = 60
HOUR = 3600

# The pack's service-level table (DESIGN.md): seconds on the priority's clock.
RESPONSE_TARGETS = {1: 15 * MINUTE, 2: 30 * MINUTE, 3: 30 * MINUTE, 4: 30 * MINUTE}
RESOLUTION_TARGETS = {1: 6 * HOUR, 2: 10 * HOUR, 3: 50 * HOUR, 4: 200 * HOUR}
ROUND_THE_CLOCK_PRIORITIES = frozenset({1})
# P5 (cross-party work) is accepted in extracts but has no service level.
PRIORITIES = (1, 2, 3, 4, 5)
SERVICE_LEVEL_PRIORITIES = (1, 2, 3, 4)

# The rows of the pack's service-level table, as it prints them.
SERVICE_LEVEL_TABLE = [
    ("P1 Response", "15m"),
    ("P2 Response", "30m"),
    ("P3 Response", "30m"),
    ("P4 Response", "30m"),
    ("P1 Resolution", "6h"),
    ("P2 Resolution", "10 business hours"),
    ("P3 Resolution", "50bh"),
    ("P4 Resolution", "200bh"),
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EARLIEST_YEAR, LATEST_YEAR = 1990, 2110


class BusinessHoursError(ValueError):
    """BUSINESS_HOURS cannot be understood; the message says which part and why."""


@dataclass(frozen=True)
class BusinessHours:
    weekdays: frozenset[int]  # Monday is 0
    start: time
    end: time
    timezone: str
    holidays_country: str | None  # e.g. "GB"; None: no holidays
    holidays_subdivision: str | None  # e.g. "ENG"

    def describe(self) -> str:
        days = ", ".join(DAY_NAMES[d].title() for d in sorted(self.weekdays))
        holidays = (
            "no holidays excluded"
            if not self.holidays_country
            else f"{self.holidays_country}{'-' + self.holidays_subdivision if self.holidays_subdivision else ''} "
            "public holidays excluded"
        )
        return f"{days} {self.start:%H:%M}–{self.end:%H:%M} {self.timezone}, {holidays}"


def _parse_days(value: str) -> frozenset[int]:
    days: set[int] = set()
    for part in value.split(","):
        part = part.strip().lower()
        if not part:
            continue
        ends = [piece.strip()[:3] for piece in part.split("-")]
        if len(ends) > 2 or any(end not in DAY_NAMES for end in ends):
            raise BusinessHoursError(f"days: “{part}” is not a day or a range of days such as Mon-Fri.")
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        if last < first:
            raise BusinessHoursError(f"days: “{part}” runs backwards; write the earlier day first.")
        days.update(range(first, last + 1))
    if not days:
        raise BusinessHoursError("days: name at least one day, e.g. Mon-Fri.")
    return frozenset(days)


def _parse_hours(value: str) -> tuple[time, time]:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not match:
        raise BusinessHoursError(f"hours: “{value}” is not HH:MM-HH:MM, e.g. 09:00-17:00.")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise BusinessHoursError(f"hours: “{value}” is not a time of day.")
    start = time(h1, m1)
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    if end <= start:
        raise BusinessHoursError(f"hours: the day must end after it starts (“{value}”).")
    return start, end


def parse_business_hours(text: str) -> BusinessHours:
    """Read BUSINESS_HOURS ("days=Mon-Fri; hours=09:00-17:00; timezone=Europe/London; holidays=GB-ENG")."""
    values = {"days": "Mon-Fri", "hours": "09:00-17:00", "timezone": "Europe/London", "holidays": "GB-ENG"}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in values:
            raise BusinessHoursError(
                f"“{part.strip()}” is not one of days=…, hours=…, timezone=…, holidays=… (separated by semicolons)."
            )
        values[key] = value.strip()
    weekdays = _parse_days(values["days"])
    start, end = _parse_hours(values["hours"])
    try:
        ZoneInfo(values["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise BusinessHoursError(f"timezone: “{values['timezone']}” is not a time zone such as Europe/London.") from None
    country = subdivision = None
    if values["holidays"].lower() not in ("", "none"):
        country, _, subdivision = values["holidays"].upper().partition("-")
        import holidays

        try:
            holidays.country_holidays(country, subdiv=subdivision or None, years=2026)
        except NotImplementedError:
            raise BusinessHoursError(
                f"holidays: “{values['holidays']}” is not a country (and subdivision) the holidays package knows, "
                "e.g. GB-ENG; or write none."
            ) from None
    return BusinessHours(weekdays, start, end, values["timezone"], country, subdivision or None)


class BusinessCalendar:
    """Business seconds between instants, and the instant a number of business seconds after another."""

    def __init__(self, hours: BusinessHours):
        self.hours = hours
        self.zone = ZoneInfo(hours.timezone)
        self._first = 0  # ordinal of the first day placed
        self._starts: list[float] = []  # window start (epoch seconds), per day; equal to end when closed
        self._ends: list[float] = []
        self._before: list[int] = []  # business seconds of the days before
        self._after: list[int] = []  # ... and including the day
        self._years = (0, -1)

    # ---------------------------------------------------------------- days

    def holidays_in(self, first_year: int, last_year: int) -> set[date]:
        if not self.hours.holidays_country:
            return set()
        import holidays

        found = holidays.country_holidays(
            self.hours.holidays_country, subdiv=self.hours.holidays_subdivision, years=range(first_year, last_year + 1)
        )
        return set(found.keys())

    def is_business_day(self, day: date) -> bool:
        self._cover(day.year)
        index = day.toordinal() - self._first
        return self._ends[index] > self._starts[index]

    def _cover(self, year: int) -> None:
        if self._years[0] <= year <= self._years[1]:
            return
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            raise ValueError(f"{year} is outside the years the service-level clock covers")
        low = min(year, self._years[0]) if self._years[1] >= 0 else year - 1
        high = max(year, self._years[1]) if self._years[1] >= 0 else year + 1
        low, high = max(low, EARLIEST_YEAR), min(high, LATEST_YEAR)
        holidays = self.holidays_in(low, high)
        first = date(low, 1, 1)
        starts, ends, before, after = [], [], [], []
        total = 0
        day, last = first, date(high, 12, 31)
        one = timedelta(days=1)
        while day <= last:
            start = datetime.combine(day, self.hours.start, tzinfo=self.zone).timestamp()
            if day.weekday() in self.hours.weekdays and day not in holidays:
                end = datetime.combine(day, self.hours.end, tzinfo=self.zone).timestamp()
            else:
                end = start
            starts.append(start)
            ends.append(end)
            before.append(total)
            total += int(end - start)
            after.append(total)
            day += one
        self._first = first.toordinal()
        self._starts, self._ends, self._before, self._after = starts, ends, before, after
        self._years = (low, high)

    # ---------------------------------------------------------------- the line of business seconds

    def position(self, moment: datetime) -> int:
        """Business seconds from the start of the covered years to the moment."""
        local_day = moment.astimezone(self.zone).date()
        self._cover(local_day.year)
        index = local_day.toordinal() - self._first
        start, end = self._starts[index], self._ends[index]
        passed = min(max(moment.timestamp() - start, 0.0), end - start)
        return self._before[index] + int(passed)

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Business seconds between two instants (0 when end is not after start)."""
        if end <= start:
            return 0
        self._cover(start.astimezone(self.zone).year)
        self._cover(end.astimezone(self.zone).year)
        return max(0, self.position(end) - self.position(start))

    def add(self, start: datetime, seconds: int) -> datetime:
        """The instant when `seconds` business seconds have passed since `start`."""
        target = self.position(start) + seconds
        while target > self._after[-1]:
            self._cover(self._years[1] + 1)
            target = self.position(start) + seconds
        index = bisect.bisect_left(self._after, target, lo=start.astimezone(self.zone).date().toordinal() - self._first)
        # Skip closed days that end on the target (their window is empty).
        while self._ends[index] == self._starts[index]:
            index += 1
        moment = self._starts[index] + (target - self._before[index])
        return datetime.fromtimestamp(moment, tz=UTC)


# ---------------------------------------------------------------- service levels


def wall_seconds(start: datetime, end: datetime) -> int:
    """Real elapsed seconds. In UTC: Python subtracts two times of one zone as wall-clock
    times, which would ignore a clock change between them."""
    return max(0, int((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()))


def clock_seconds(priority: int, start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    """Elapsed time on the priority's service-level clock: wall clock for P1, business hours otherwise."""
    if priority in ROUND_THE_CLOCK_PRIORITIES:
        return wall_seconds(start, end)
    return calendar.business_seconds(start, end)


def clock_deadline(priority: int, start: datetime, seconds: int, calendar: BusinessCalendar) -> datetime:
    if priority in ROUND_THE_CLOCK_PRIORITIES:
        return start.astimezone(UTC) + timedelta(seconds=seconds)
    return calendar.add(start, seconds)


def month_key(moment: datetime) -> int:
    """The month (Europe/London) as YYYYMM."""
    local = moment.astimezone(LONDON)
    return local.year * 100 + local.month


def month_label(key: int, fmt: str = "%b %Y") -> str:
    return date(key // 100, key % 100, 1).strftime(fmt)


def month_text(key: int) -> str:
    return f"{key // 100:04d}-{key % 100:02d}"


def next_month(key: int) -> int:
    year, month = divmod(key, 100)
    return key + 1 if month < 12 else (year + 1) * 100 + 1


def previous_month(key: int) -> int:
    year, month = divmod(key, 100)
    return key - 1 if month > 1 else (year - 1) * 100 + 12


def months_between(first: int, last: int) -> list[int]:
    months = []
    key = first
    while key <= last:
        months.append(key)
        key = next_month(key)
    return months


_calendars: dict[str, BusinessCalendar] = {}


def calendar_for(text: str) -> BusinessCalendar:
    """One calendar per BUSINESS_HOURS value, kept for the process (its days are placed once)."""
    calendar = _calendars.get(text)
    if calendar is None:
        calendar = _calendars[text] = BusinessCalendar(parse_business_hours(text))
    return calendar


def app_calendar() -> BusinessCalendar:
    from flask import current_app

    return calendar_for(current_app.config["BUSINESS_HOURS"])
