"""The service-level clock on its own: business hours, weekends, bank holidays, clock changes,
records opened out of hours, and P1 round the clock against P2–P4."""

from datetime import UTC, datetime, timedelta

import pytest

from issues_tracker import create_app
from issues_tracker.core.config import ConfigError
from issues_tracker.servicedesk.clock import (
    LONDON,
    BusinessCalendar,
    BusinessHoursError,
    calendar_for,
    clock_deadline,
    clock_seconds,
    month_key,
    parse_business_hours,
)

DEFAULT = "days=Mon-Fri; hours=09:00-17:00; timezone=Europe/London; holidays=GB-ENG"
HOUR = 3600


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture(scope="module")
def calendar() -> BusinessCalendar:
    return BusinessCalendar(parse_business_hours(DEFAULT))


def test_a_working_day_counts_eight_hours(calendar):
    assert calendar.business_seconds(london(2026, 3, 3, 9), london(2026, 3, 3, 17)) == 8 * HOUR
    assert calendar.business_seconds(london(2026, 3, 3, 8), london(2026, 3, 3, 18)) == 8 * HOUR


def test_the_weekend_does_not_count(calendar):
    # Friday 16:00 to Monday 10:00 is one hour on Friday and one on Monday.
    assert calendar.business_seconds(london(2026, 3, 6, 16), london(2026, 3, 9, 10)) == 2 * HOUR


def test_a_record_opened_on_saturday_starts_its_clock_on_monday_morning(calendar):
    opened = london(2026, 3, 7, 11, 30)
    assert calendar.business_seconds(opened, london(2026, 3, 9, 9, 20)) == 20 * 60
    assert calendar.add(opened, 30 * 60) == london(2026, 3, 9, 9, 30).astimezone(UTC)


def test_a_record_opened_in_the_evening_starts_its_clock_next_morning(calendar):
    opened = london(2026, 3, 3, 19, 45)
    assert calendar.business_seconds(opened, london(2026, 3, 4, 8, 59)) == 0
    assert calendar.business_seconds(opened, london(2026, 3, 4, 9, 25)) == 25 * 60


def test_easter_bank_holidays_are_skipped(calendar):
    # Good Friday 3 April and Easter Monday 6 April 2026 are England and Wales bank holidays.
    assert not calendar.is_business_day(london(2026, 4, 3).date())
    assert not calendar.is_business_day(london(2026, 4, 6).date())
    assert calendar.business_seconds(london(2026, 4, 2, 16, 30), london(2026, 4, 7, 9, 30)) == HOUR
    assert calendar.add(london(2026, 4, 2, 16, 30), HOUR) == london(2026, 4, 7, 9, 30).astimezone(UTC)


def test_christmas_and_the_substitute_boxing_day_are_skipped(calendar):
    # 26 December 2026 is a Saturday, so Monday 28 December is the bank holiday.
    assert not calendar.is_business_day(london(2026, 12, 25).date())
    assert not calendar.is_business_day(london(2026, 12, 28).date())
    assert calendar.business_seconds(london(2026, 12, 24, 16), london(2026, 12, 29, 10)) == 2 * HOUR


def test_a_scottish_bank_holiday_is_a_working_day_in_england(calendar):
    # St Andrew's Day (30 November 2026, a Monday) is a holiday in Scotland only.
    assert calendar.is_business_day(london(2026, 11, 30).date())


def test_spring_clock_change_loses_no_business_time(calendar):
    # Clocks go forward early on Sunday 29 March 2026: Friday to Monday is still 2 business hours.
    assert calendar.business_seconds(london(2026, 3, 27, 16), london(2026, 3, 30, 10)) == 2 * HOUR
    # The business day after the change is 09:00–17:00 BST, i.e. 08:00–16:00 UTC.
    assert calendar.add(london(2026, 3, 30, 9), 8 * HOUR) == datetime(2026, 3, 30, 16, tzinfo=UTC)


def test_autumn_clock_change_gains_no_business_time(calendar):
    # Clocks go back early on Sunday 25 October 2026.
    assert calendar.business_seconds(london(2026, 10, 23, 16), london(2026, 10, 26, 10)) == 2 * HOUR
    assert calendar.add(london(2026, 10, 26, 9), HOUR) == datetime(2026, 10, 26, 10, tzinfo=UTC)


def test_wall_clock_across_a_clock_change_is_real_elapsed_time():
    # P1 runs round the clock: 00:00 to 06:00 local on the spring-forward night is 5 real hours.
    start, end = london(2026, 3, 29, 0), london(2026, 3, 29, 6)
    assert clock_seconds(1, start, end, calendar_for(DEFAULT)) == 5 * HOUR


def test_p1_runs_round_the_clock_and_p2_to_p4_in_business_hours():
    calendar = calendar_for(DEFAULT)
    opened, resolved = london(2026, 3, 6, 22, 0), london(2026, 3, 7, 3, 0)  # Friday night into Saturday
    assert clock_seconds(1, opened, resolved, calendar) == 5 * HOUR
    for priority in (2, 3, 4):
        assert clock_seconds(priority, opened, resolved, calendar) == 0
    assert clock_deadline(1, opened, 6 * HOUR, calendar) == london(2026, 3, 7, 4, 0).astimezone(UTC)
    # P2's 10 business hours from Friday night: Monday 8 h, Tuesday 2 h.
    assert clock_deadline(2, opened, 10 * HOUR, calendar) == london(2026, 3, 10, 11, 0).astimezone(UTC)


def test_a_deadline_that_ends_a_day_is_the_end_of_that_day(calendar):
    assert calendar.add(london(2026, 3, 3, 9), 8 * HOUR) == london(2026, 3, 3, 17).astimezone(UTC)
    assert calendar.add(london(2026, 3, 3, 9), 8 * HOUR + 1) == london(2026, 3, 4, 9, 0, 1).astimezone(UTC)


def test_business_seconds_and_deadlines_agree_over_a_long_stretch(calendar):
    start = london(2025, 12, 19, 14, 10)
    for hours in (1, 10, 50, 200):
        deadline = calendar.add(start, hours * HOUR)
        assert calendar.business_seconds(start, deadline) == hours * HOUR
    # 200 business hours from before Christmas reach well into January.
    assert calendar.add(start, 200 * HOUR).astimezone(LONDON).date().month == 1


def test_an_end_before_the_start_counts_nothing(calendar):
    assert calendar.business_seconds(london(2026, 3, 3, 12), london(2026, 3, 3, 11)) == 0


def test_months_follow_london_time():
    # 23:30 UTC on 31 March 2026 is 00:30 on 1 April in London (BST).
    assert month_key(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == 202604
    assert month_key(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == 202601


def test_business_hours_can_be_configured():
    hours = parse_business_hours("days=Mon-Sat; hours=08:00-18:00; holidays=none")
    calendar = BusinessCalendar(hours)
    assert calendar.business_seconds(london(2026, 4, 3, 8), london(2026, 4, 4, 18)) == 20 * HOUR  # Good Friday and Saturday
    assert calendar.business_seconds(london(2026, 4, 5, 8), london(2026, 4, 5, 18)) == 0  # Sunday


@pytest.mark.parametrize("text, message", [
    ("days=Mon-Funday", "days"),
    ("hours=17:00-09:00", "end after it starts"),
    ("hours=9-5", "HH:MM-HH:MM"),
    ("timezone=Mars/Olympus", "time zone"),
    ("holidays=GB-XYZ", "holidays"),
    ("weekends=yes", "not one of"),
])
def test_a_wrong_business_hours_setting_says_what_is_wrong(text, message):
    with pytest.raises(BusinessHoursError, match=message):
        parse_business_hours(text)


def test_the_app_refuses_to_start_with_wrong_business_hours(monkeypatch, tmp_path):
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    monkeypatch.setenv("BUSINESS_HOURS", "hours=25:00-26:00")
    with pytest.raises(ConfigError, match="BUSINESS_HOURS"):
        create_app(config)
    monkeypatch.setenv("BUSINESS_HOURS", "days=Mon-Thu")
    assert create_app(config).config["BUSINESS_HOURS"] == "days=Mon-Thu"


def test_every_instant_of_a_week_maps_consistently(calendar):
    # Positions never go backwards, hour by hour through a week with a bank holiday.
    moment = london(2026, 5, 1, 0)
    last = calendar.position(moment)
    for _ in range(24 * 8):
        moment += timedelta(hours=1)
        now = calendar.position(moment)
        assert now >= last
        last = now
