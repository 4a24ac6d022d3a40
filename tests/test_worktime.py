"""Deadline arithmetic: calendar and working clocks, Chinese holidays and 调休 days.

Holiday dates below come from chinese_calendar 1.11.0 (the State Council's 2026
schedule):
  春节  2026-02-15 (Sun) … 02-23 (Mon) off; make-up working Saturdays 02-14 and 02-28.
  中秋  2026-09-25 (Fri) … 09-27 (Sun) off; 09-19 (Sat) off as usual.
  国庆  2026-10-01 (Thu) … 10-07 (Wed) off; make-up working days 09-20 (Sun) and 10-10 (Sat).
  2027 is not in the package, so Monday–Friday count (even 2027-01-01, New Year's Day).
The default schedule is 08:00-12:00,14:30-17:30: 420 working minutes a day.
"""

import datetime
import functools
import logging
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wangge.cases import worktime
from wangge.cases.worktime import (
    DEFAULT_SCHEDULE,
    WorkSchedule,
    add_minutes,
    is_workday,
    is_working_time,
    minutes_between,
    shift,
    traffic_light,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = 420  # working minutes in a default day
MICROSECOND = datetime.timedelta(microseconds=1)


def at(year, month, day, hour=0, minute=0, second=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def working(start, minutes):
    return add_minutes(start, minutes, "working")


def working_between(start, end):
    return minutes_between(start, end, "working")


@pytest.fixture
def fresh_caches():
    """Forget cached days, so the once-a-year warning can be seen again."""

    def clear():
        worktime.is_workday.cache_clear()
        worktime._warn_no_holiday_data.cache_clear()
        worktime._working_periods.cache_clear()

    clear()
    yield
    clear()


# --- schedules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("08:00-12:00,14:30-17:30", "08:00-12:00,14:30-17:30"),
        (" 8:00 - 12:00 , 14:30-17:30 ", "08:00-12:00,14:30-17:30"),
        ("14:30-17:30,08:00-12:00", "08:00-12:00,14:30-17:30"),
        ("08:00–12:00，14:30～17:30", "08:00-12:00,14:30-17:30"),
        ("09:00-17:00", "09:00-17:00"),
        ("00:00-23:59", "00:00-23:59"),
        ("08:00-12:00,12:00-13:00", "08:00-12:00,12:00-13:00"),
    ],
)
def test_schedule_parses_and_prints_canonical_text(text, canonical):
    schedule = WorkSchedule.parse(text)
    assert str(schedule) == canonical
    assert WorkSchedule.parse(str(schedule)) == schedule


def test_default_schedule_is_the_towns_usual_hours():
    assert str(DEFAULT_SCHEDULE) == "08:00-12:00,14:30-17:30"
    assert DEFAULT_SCHEDULE.tz == SHANGHAI
    assert DEFAULT_SCHEDULE.periods == (
        (datetime.time(8), datetime.time(12)),
        (datetime.time(14, 30), datetime.time(17, 30)),
    )


def test_schedule_in_another_time_zone():
    berlin = ZoneInfo("Europe/Berlin")
    schedule = WorkSchedule.parse("09:00-17:00", tz=berlin)
    assert schedule.tz == berlin
    assert str(schedule) == "09:00-17:00"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("08:00-12:00,11:00-13:00", "08:00-12:00 and 11:00-13:00 overlap"),
        ("08:00-17:00,12:00-13:00", "overlap"),
        ("12:00-08:00", "12:00-08:00 must end after it starts"),
        ("08:00-08:00", "08:00-08:00 must end after it starts"),
        ("8-12", "cannot read '8-12'"),
        ("08:00 12:00", "cannot read"),
        ("08:00-12:00,", "cannot read ''"),
        ("08:00-12:00 14:30-17:30", "cannot read"),
        ("morning", "cannot read"),
        ("25:00-26:00", "25:00 .* is not a time of day"),
        ("08:60-09:00", "08:60 .* is not a time of day"),
        ("08:00-24:00", "24:00 .* is not a time of day"),
    ],
)
def test_bad_schedule_is_refused_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        WorkSchedule.parse(text)


def test_schedule_built_directly_is_checked_too():
    with pytest.raises(ValueError, match="at least one period"):
        WorkSchedule(())
    with pytest.raises(ValueError, match="whole-minute"):
        WorkSchedule(((datetime.time(8, 0, 30), datetime.time(12)),))
    unsorted = WorkSchedule(
        ((datetime.time(14), datetime.time(15)), (datetime.time(8), datetime.time(9)))
    )
    assert str(unsorted) == "08:00-09:00,14:00-15:00"


# --- working days -------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, works",
    [
        (datetime.date(2026, 2, 13), True),  # Friday before 春节
        (datetime.date(2026, 2, 14), True),  # Saturday, 调休 make-up day
        (datetime.date(2026, 2, 16), False),  # Monday, 春节
        (datetime.date(2026, 2, 23), False),  # Monday, last day of 春节
        (datetime.date(2026, 2, 24), True),
        (datetime.date(2026, 2, 28), True),  # Saturday, 调休 make-up day
        (datetime.date(2026, 3, 7), False),  # an ordinary Saturday
        (datetime.date(2026, 9, 20), True),  # Sunday, 调休 for 国庆
        (datetime.date(2026, 9, 25), False),  # Friday, 中秋
        (datetime.date(2026, 10, 5), False),  # Monday, 国庆
        (datetime.date(2026, 10, 10), True),  # Saturday, 调休 for 国庆
    ],
)
def test_workdays_follow_the_chinese_calendar(day, works):
    assert is_workday(day) is works
    assert chinese_calendar.is_workday(day) is works


def test_year_without_holiday_data_counts_monday_to_friday_and_warns_once(fresh_caches, caplog):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(datetime.date(2027, 1, 1))  # else move this test on a year
    with caplog.at_level(logging.WARNING, logger="wangge.cases.worktime"):
        days = [datetime.date(2027, 1, 1) + datetime.timedelta(days=n) for n in range(14)]
        works = [is_workday(day) for day in days]
        assert is_workday(datetime.date(2027, 6, 1))
    assert works == [day.weekday() < 5 for day in days]
    assert works[:4] == [True, False, False, True]  # Fri 1 Jan, weekend, Mon 4 Jan
    messages = [r.getMessage() for r in caplog.records if r.name == "wangge.cases.worktime"]
    assert messages == ["no holiday data for 2027; counting Monday–Friday"]


def test_each_year_without_data_warns_once(fresh_caches, caplog):
    with caplog.at_level(logging.WARNING, logger="wangge.cases.worktime"):
        for day in (
            datetime.date(2003, 5, 1),
            datetime.date(2003, 5, 2),
            datetime.date(2028, 1, 3),
        ):
            is_workday(day)
        working(at(2028, 1, 3, 9), 5 * DAY)
    assert [r.getMessage() for r in caplog.records] == [
        "no holiday data for 2003; counting Monday–Friday",
        "no holiday data for 2028; counting Monday–Friday",
    ]


# --- calendar clock -----------------------------------------------------------------


def test_calendar_clock_is_plain_elapsed_time():
    start = at(2026, 2, 14, 23, 30)  # the eve of 春节: holidays don't matter
    assert add_minutes(start, 90) == at(2026, 2, 15, 1, 0)
    assert add_minutes(start, 24 * 60, "calendar") == at(2026, 2, 15, 23, 30)
    assert add_minutes(start, 0) == start
    assert add_minutes(start, 0.5) == start + datetime.timedelta(seconds=30)
    assert minutes_between(start, at(2026, 2, 15, 1, 0)) == 90
    assert minutes_between(at(2026, 2, 15, 1, 0), start) == -90


def test_results_are_in_the_schedules_time_zone():
    start = datetime.datetime(2026, 3, 9, 0, 30, tzinfo=datetime.UTC)  # Monday 08:30 in Shanghai
    for clock in ("calendar", "working"):
        due = add_minutes(start, 30, clock)
        assert due.tzinfo == SHANGHAI
        assert due == at(2026, 3, 9, 9, 0)
        assert (due.hour, due.minute) == (9, 0)


def test_calendar_clock_counts_real_minutes_across_a_dst_change():
    berlin = ZoneInfo("Europe/Berlin")
    schedule = WorkSchedule.parse("09:00-17:00", tz=berlin)
    start = datetime.datetime(2026, 3, 28, 12, 0, tzinfo=berlin)  # clocks go forward on the 29th
    due = add_minutes(start, 24 * 60, "calendar", schedule)
    assert due == datetime.datetime(2026, 3, 29, 13, 0, tzinfo=berlin)
    assert minutes_between(start, due, "calendar", schedule) == 24 * 60


# --- working clock within ordinary weeks --------------------------------------------


@pytest.mark.parametrize(
    "start, minutes, due",
    [
        (at(2026, 3, 9, 9, 0), 60, at(2026, 3, 9, 10, 0)),
        (at(2026, 3, 9, 11, 0), 60, at(2026, 3, 9, 12, 0)),  # ends at the period's end
        (at(2026, 3, 9, 11, 30), 60, at(2026, 3, 9, 15, 0)),  # across the lunch break
        (at(2026, 3, 9, 12, 30), 30, at(2026, 3, 9, 15, 0)),  # starts in the lunch break
        (at(2026, 3, 9, 6, 0), 30, at(2026, 3, 9, 8, 30)),  # starts before work
        (at(2026, 3, 9, 20, 0), 30, at(2026, 3, 10, 8, 30)),  # starts after work
        (at(2026, 3, 9, 8, 0), DAY, at(2026, 3, 9, 17, 30)),
        (at(2026, 3, 6, 16, 30), 120, at(2026, 3, 9, 9, 0)),  # Friday → Monday (urgent accept)
        (at(2026, 3, 7, 10, 0), DAY, at(2026, 3, 9, 17, 30)),  # starts on a Saturday
        (at(2026, 3, 9, 9, 0), 7 * DAY, at(2026, 3, 18, 9, 0)),  # 7 working days, a weekend
        (at(2026, 3, 9, 9, 0), 0.5, at(2026, 3, 9, 9, 0, 30)),
    ],
)
def test_working_clock_in_ordinary_weeks(start, minutes, due):
    assert working(start, minutes) == due
    assert working_between(start, due) == minutes


@pytest.mark.parametrize(
    "start, due_now",
    [
        (at(2026, 3, 9, 9, 15), at(2026, 3, 9, 9, 15)),  # inside working time: now
        (at(2026, 3, 9, 8, 0), at(2026, 3, 9, 8, 0)),  # a period's start is working time
        (at(2026, 3, 9, 7, 0), at(2026, 3, 9, 8, 0)),
        (at(2026, 3, 9, 12, 0), at(2026, 3, 9, 14, 30)),  # a period's end is not
        (at(2026, 3, 6, 17, 30), at(2026, 3, 9, 8, 0)),  # Friday evening → Monday
        (at(2026, 2, 14, 18, 0), at(2026, 2, 24, 8, 0)),  # over 春节
    ],
)
def test_zero_working_minutes_is_the_first_working_moment(start, due_now):
    assert working(start, 0) == due_now
    assert working_between(start, due_now) == 0


def test_is_working_time_uses_half_open_periods_on_workdays():
    assert is_working_time(at(2026, 3, 9, 8, 0))
    assert is_working_time(at(2026, 3, 9, 11, 59, 59))
    assert not is_working_time(at(2026, 3, 9, 12, 0))
    assert not is_working_time(at(2026, 3, 7, 10, 0))  # Saturday
    assert is_working_time(at(2026, 2, 14, 10, 0))  # 调休 Saturday
    assert not is_working_time(at(2026, 2, 16, 10, 0))  # 春节
    # 02:30 UTC on a Saturday is 10:30 on Saturday in Shanghai, not Friday.
    assert not is_working_time(datetime.datetime(2026, 3, 7, 2, 30, tzinfo=datetime.UTC))


def test_day_boundaries_are_the_towns_not_utc():
    # Friday 23:00 UTC is Saturday 07:00 in Shanghai: the next working moment is Monday.
    start = datetime.datetime(2026, 3, 6, 23, 0, tzinfo=datetime.UTC)
    assert working(start, 0) == at(2026, 3, 9, 8, 0)
    # Monday 00:30 UTC is Monday 08:30 in Shanghai.
    assert working_between(start, datetime.datetime(2026, 3, 9, 0, 30, tzinfo=datetime.UTC)) == 30


# --- working clock across holidays --------------------------------------------------


@pytest.mark.parametrize(
    "start, minutes, due",
    [
        # 1 working day from Friday 13 Feb 17:00: 30 minutes that evening, then the
        # make-up Saturday 14 Feb: 240 in the morning and 150 from 14:30.
        (at(2026, 2, 13, 17, 0), DAY, at(2026, 2, 14, 17, 0)),
        # From the make-up Saturday's end: nine days off, back on Tuesday 24 Feb.
        (at(2026, 2, 14, 17, 0), 60, at(2026, 2, 24, 8, 30)),
        # 2 working days: 30 + 420 (Sat 14th) + 390 on Tuesday 24th (ends 17:00).
        (at(2026, 2, 13, 17, 0), 2 * DAY, at(2026, 2, 24, 17, 0)),
        # 7 working days from Thursday 12 Feb 09:00: the 7th working day after it is
        # the make-up Saturday 28 Feb (13, 14, 24, 25, 26, 27, 28).
        (at(2026, 2, 12, 9, 0), 7 * DAY, at(2026, 2, 28, 9, 0)),
        (at(2026, 2, 27, 17, 0), 60, at(2026, 2, 28, 8, 30)),  # Friday → make-up Saturday
        (at(2026, 2, 28, 17, 0), 60, at(2026, 3, 2, 8, 30)),  # Saturday → Monday
        # 国庆 and 中秋 2026.
        (at(2026, 9, 18, 17, 0), 60, at(2026, 9, 20, 8, 30)),  # Sat 19th off, Sun 20th works
        (at(2026, 9, 24, 17, 0), 60, at(2026, 9, 28, 8, 30)),  # over 中秋
        (at(2026, 9, 30, 9, 0), DAY, at(2026, 10, 8, 9, 0)),  # over 国庆
        (at(2026, 9, 30, 17, 0), 60, at(2026, 10, 8, 8, 30)),
        (at(2026, 10, 9, 17, 0), 60, at(2026, 10, 10, 8, 30)),  # make-up Saturday
        (at(2026, 10, 10, 17, 0), 60, at(2026, 10, 12, 8, 30)),  # Sunday 11th off
        (at(2026, 10, 3, 10, 0), 0, at(2026, 10, 8, 8, 0)),  # due now, during 国庆
    ],
)
def test_working_clock_across_holidays_and_make_up_days(start, minutes, due):
    assert working(start, minutes) == due
    assert working_between(start, due) == minutes


def test_no_working_time_during_holidays():
    assert working_between(at(2026, 2, 14, 17, 30), at(2026, 2, 24, 8, 0)) == 0
    assert working_between(at(2026, 9, 30, 17, 30), at(2026, 10, 8, 8, 0)) == 0
    # 12 working days from 18 Sep to 11 Oct: 18, 20, 21–24, 28–30 Sep and 8–10 Oct.
    assert working_between(at(2026, 9, 18, 8, 0), at(2026, 10, 12, 8, 0)) == 12 * DAY
    # Over 春节 (13 Feb – 2 Mar): 13, 14, 24–27, 28 Feb.
    assert working_between(at(2026, 2, 13, 8, 0), at(2026, 3, 2, 8, 0)) == 7 * DAY


def test_year_end_2026_runs_into_the_monday_to_friday_fallback(fresh_caches, caplog):
    with caplog.at_level(logging.WARNING, logger="wangge.cases.worktime"):
        assert working(at(2026, 12, 31, 17, 0), 60) == at(2027, 1, 1, 8, 30)  # a Friday
        assert working(at(2027, 1, 1, 17, 0), 60) == at(2027, 1, 4, 8, 30)  # weekend skipped
        assert working_between(at(2026, 12, 31, 8, 0), at(2027, 1, 4, 8, 0)) == 2 * DAY
        # 2026 ends with a normal working week: 28–31 Dec.
        assert working(at(2026, 12, 28, 8, 0), 4 * DAY) == at(2026, 12, 31, 17, 30)
    assert [r.getMessage() for r in caplog.records] == [
        "no holiday data for 2027; counting Monday–Friday"
    ]


def test_a_town_with_other_hours():
    schedule = WorkSchedule.parse("09:00-17:00")
    start = at(2026, 2, 13, 16, 0)
    assert add_minutes(start, 8 * 60, "working", schedule) == at(2026, 2, 14, 16, 0)
    assert minutes_between(start, at(2026, 2, 24, 10, 0), "working", schedule) == 60 + 480 + 60


# --- properties ---------------------------------------------------------------------

# Aware starts anywhere in 2025–2026, to the microsecond.
starts = st.datetimes(
    min_value=datetime.datetime(2025, 1, 1),
    max_value=datetime.datetime(2026, 12, 20),
    timezones=st.just(SHANGHAI),
)
minute_counts = st.integers(min_value=0, max_value=10 * DAY)


@given(start=starts, minutes=minute_counts)
def test_minutes_between_undoes_add_minutes(start, minutes):
    # For any start, inside working hours or not: time before counting begins is not working time.
    due = working(start, minutes)
    assert due >= start
    assert working_between(start, due) == minutes
    assert working_between(working(start, 0), due) == minutes  # from where counting began
    if minutes:
        # The due moment is the earliest one: a microsecond before, time was left.
        assert working_between(start, due - MICROSECOND) < minutes


@given(start=starts, minutes=st.floats(min_value=0, max_value=10 * DAY))
def test_fractional_minutes_round_to_the_microsecond(start, minutes):
    assert working_between(start, working(start, minutes)) == pytest.approx(minutes, abs=1e-6)


@given(
    start=starts,
    span=st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(days=20)),
)
def test_add_minutes_undoes_minutes_between_when_the_end_is_working_time(start, span):
    end = start + span
    due = working(start, working_between(start, end))
    # The earliest moment with as much working time: never later than end, and
    # nothing but non-working time lies between.
    assert due <= end or working_between(start, end) == 0
    assert working_between(min(due, end), max(due, end)) == 0
    if is_working_time(end):
        assert due == end


@given(a=starts, b=starts, c=starts)
def test_minutes_between_adds_up_and_changes_sign(a, b, c):
    for clock in ("calendar", "working"):
        ab, bc, ac = (minutes_between(x, y, clock) for x, y in ((a, b), (b, c), (a, c)))
        assert ab + bc == pytest.approx(ac, abs=1e-6)
        assert minutes_between(b, a, clock) == -ab


@functools.cache
def holiday_package_workday(day):
    return chinese_calendar.is_workday(day)


def brute_force_working_minutes(start, end):
    """Minute by minute, straight from chinese_calendar and the default hours."""
    count, moment = 0, start.astimezone(SHANGHAI)  # no DST in Shanghai: wall clock is exact
    while moment < end:
        clock = moment.time()
        if holiday_package_workday(moment.date()) and (
            datetime.time(8) <= clock < datetime.time(12)
            or datetime.time(14, 30) <= clock < datetime.time(17, 30)
        ):
            count += 1
        moment += datetime.timedelta(minutes=1)
    return count


@settings(deadline=None)
@given(
    start=starts.map(lambda t: t.replace(second=0, microsecond=0)),
    minutes=st.integers(min_value=0, max_value=10 * 24 * 60),
)
def test_working_minutes_agree_with_counting_minute_by_minute(start, minutes):
    end = start + datetime.timedelta(minutes=minutes)
    assert working_between(start, end) == brute_force_working_minutes(start, end)


@given(
    due=starts,
    paused_from=starts,
    pause=st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(days=15)),
)
def test_shift_keeps_the_working_time_left(due, paused_from, pause):
    paused_to = paused_from + pause
    new_due = shift(due, paused_from, paused_to, "working", DEFAULT_SCHEDULE)
    assert working_between(paused_to, new_due) == pytest.approx(
        working_between(paused_from, due), abs=1e-6
    )


# --- traffic lights -----------------------------------------------------------------


def test_traffic_light_on_the_calendar_clock():
    start = at(2026, 3, 9, 10, 0)
    due = add_minutes(start, 100)

    def light(minutes_used):
        return traffic_light(start, due, start + datetime.timedelta(minutes=minutes_used))

    assert light(-5) == "green"  # before the clock started
    assert light(0) == "green"
    assert light(79) == "green"
    assert light(79.99) == "green"
    assert light(80) == "yellow"
    assert light(100) == "yellow"  # due now is not yet overdue
    assert traffic_light(start, due, due + MICROSECOND) == "red"


def test_traffic_light_on_the_working_clock():
    start = at(2026, 3, 9, 8, 0)  # one working day: due Monday 17:30
    due = working(start, DAY)
    assert due == at(2026, 3, 9, 17, 30)

    def light(now):
        return traffic_light(start, due, now, "working")

    assert light(working(start, 0.79 * DAY)) == "green"  # 331.8 minutes
    assert light(working(start, 0.8 * DAY)) == "yellow"  # 336 minutes: 16:06
    assert light(at(2026, 3, 9, 16, 6)) == "yellow"
    assert light(at(2026, 3, 9, 16, 5, 59)) == "green"
    assert light(due) == "yellow"
    assert light(due + MICROSECOND) == "red"
    assert light(at(2026, 3, 10, 9, 0)) == "red"


def test_traffic_light_stands_still_over_the_weekend():
    start = at(2026, 3, 6, 16, 30)  # urgent: 2 working hours, due Monday 09:00
    due = working(start, 120)
    assert traffic_light(start, due, at(2026, 3, 7, 12, 0), "working") == "green"  # 50 %
    assert traffic_light(start, due, at(2026, 3, 9, 8, 35), "working") == "green"  # 79 %
    assert traffic_light(start, due, at(2026, 3, 9, 8, 36), "working") == "yellow"  # 80 %
    # On the calendar clock, two hours from Friday 16:30 are over by Saturday noon.
    assert traffic_light(start, add_minutes(start, 120), at(2026, 3, 7, 12, 0)) == "red"


def test_traffic_light_with_no_allowed_time():
    start = at(2026, 3, 9, 10, 0)
    assert traffic_light(start, start, start) == "yellow"
    assert traffic_light(start, start, start + MICROSECOND) == "red"
    early = start - datetime.timedelta(hours=1)
    assert traffic_light(start, early, early) == "yellow"
    assert traffic_light(start, early, start) == "red"
    # Reported on Saturday, due now on the working clock: yellow until Monday 08:00.
    saturday = at(2026, 3, 7, 10, 0)
    due = working(saturday, 0)
    assert traffic_light(saturday, due, at(2026, 3, 8, 20, 0), "working") == "yellow"
    assert traffic_light(saturday, due, at(2026, 3, 9, 8, 1), "working") == "red"


def test_traffic_light_threshold_is_adjustable():
    start = at(2026, 3, 9, 10, 0)
    due = add_minutes(start, 100)
    now = add_minutes(start, 50)
    assert traffic_light(start, due, now, yellow_at=0.5) == "yellow"
    assert traffic_light(start, due, now, yellow_at=0.51) == "green"
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError, match="yellow_at"):
            traffic_light(start, due, now, yellow_at=bad)


# --- pauses -------------------------------------------------------------------------


def test_shift_on_the_calendar_clock_adds_the_whole_pause():
    due = at(2026, 3, 9, 10, 0)
    paused = (at(2026, 3, 6, 17, 0), at(2026, 3, 9, 9, 0))  # Friday 17:00 → Monday 09:00: 64 h
    assert shift(due, *paused, "calendar", DEFAULT_SCHEDULE) == at(2026, 3, 12, 2, 0)


def test_shift_over_a_weekend_pause_on_the_working_clock():
    due = at(2026, 3, 9, 12, 0)  # Monday, end of the morning
    weekend = (at(2026, 3, 6, 17, 30), at(2026, 3, 9, 8, 0))
    assert shift(due, *weekend, "working", DEFAULT_SCHEDULE) == due  # no working time paused
    # Friday 17:00 → Monday 09:00 holds 30 + 60 working minutes.
    paused = (at(2026, 3, 6, 17, 0), at(2026, 3, 9, 9, 0))
    assert shift(at(2026, 3, 9, 11, 0), *paused, "working", DEFAULT_SCHEDULE) == at(
        2026, 3, 9, 15, 0
    )
    assert shift(due, *paused, "working", DEFAULT_SCHEDULE) == at(2026, 3, 9, 16, 0)


def test_shift_over_春节():
    # Paused Friday 13 Feb 17:00 → Tuesday 24 Feb 09:00: 30 + 420 + 60 working minutes.
    paused = (at(2026, 2, 13, 17, 0), at(2026, 2, 24, 9, 0))
    assert working_between(*paused) == 510
    new_due = shift(at(2026, 2, 13, 17, 30), *paused, "working", DEFAULT_SCHEDULE)
    assert new_due == at(2026, 2, 24, 9, 30)  # 420 on the make-up Saturday, 90 on the 24th


def test_shift_refuses_a_pause_that_ends_before_it_starts():
    with pytest.raises(ValueError, match="before it starts"):
        shift(at(2026, 3, 9, 10), at(2026, 3, 9, 9), at(2026, 3, 9, 8), "working", DEFAULT_SCHEDULE)


# --- refused input ------------------------------------------------------------------

NAIVE = datetime.datetime(2026, 3, 9, 9, 0)
AWARE = at(2026, 3, 9, 9, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_minutes(NAIVE, 10),
        lambda: add_minutes(NAIVE, 10, "working"),
        lambda: minutes_between(NAIVE, AWARE),
        lambda: minutes_between(AWARE, NAIVE, "working"),
        lambda: traffic_light(AWARE, AWARE, NAIVE),
        lambda: traffic_light(NAIVE, AWARE, AWARE),
        lambda: shift(AWARE, NAIVE, AWARE, "calendar", DEFAULT_SCHEDULE),
        lambda: shift(NAIVE, AWARE, AWARE, "working", DEFAULT_SCHEDULE),
        lambda: is_working_time(NAIVE),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="naive"):
        call()


@pytest.mark.parametrize("minutes", [-1, -0.001, float("nan"), float("inf")])
def test_negative_or_endless_minutes_are_refused(minutes):
    with pytest.raises(ValueError, match="minutes must be"):
        add_minutes(AWARE, minutes, "working")


def test_unknown_clock_is_refused():
    with pytest.raises(ValueError, match="unknown clock 'wall'"):
        add_minutes(AWARE, 10, "wall")
    with pytest.raises(ValueError, match="unknown clock"):
        minutes_between(AWARE, AWARE, "Working")
