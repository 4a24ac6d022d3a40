"""Deadline arithmetic on two clocks: calendar time and a town's working time.

Working time is the town's working hours (a WorkSchedule, in its time zone) on
Chinese working days: public holidays are off and the weekend make-up days (调休)
are on, as the chinese-calendar package knows them. For a year the package has no
data for, Monday–Friday are working days and a warning is logged once per year.

Periods are half-open: with 08:00-12:00, 08:00 is working time and 12:00 is not.
Arithmetic runs on absolute instants (UTC) and day by day, never minute by minute;
every result is an aware datetime in the schedule's time zone, exact to the
microsecond. Nothing here touches the database or needs Django settings.
"""

from __future__ import annotations

import datetime
import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

logger = logging.getLogger(__name__)

Clock = Literal["calendar", "working"]
Light = Literal["green", "yellow", "red"]
CLOCKS: tuple[Clock, ...] = ("calendar", "working")

UTC = datetime.UTC
ONE_DAY = datetime.timedelta(days=1)
ZERO = datetime.timedelta(0)

_PERIOD = re.compile(r"(\d{1,2}):(\d{2})\s*[-–~～]\s*(\d{1,2}):(\d{2})")
_SEPARATORS = re.compile(r"[,，;；]")
_EXAMPLE = "08:00-12:00,14:30-17:30"


@dataclass(frozen=True)
class WorkSchedule:
    """A town's working hours, e.g. 08:00–12:00 and 14:30–17:30, in Asia/Shanghai.

    Periods are kept sorted; they must be whole minutes, each must end after it
    starts, and no two may overlap (ValueError otherwise).
    """

    periods: tuple[tuple[datetime.time, datetime.time], ...]
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")

    def __post_init__(self):
        periods = tuple(sorted((start, end) for start, end in self.periods))
        if not periods:
            raise ValueError(f"a work schedule needs at least one period, e.g. {_EXAMPLE}")
        for start, end in periods:
            for moment in (start, end):
                if moment.tzinfo is not None or moment.second or moment.microsecond:
                    raise ValueError(f"{moment} is not a plain whole-minute time of day")
            if end <= start:
                raise ValueError(f"{_format(start, end)} must end after it starts")
        for (s1, e1), (s2, e2) in zip(periods, periods[1:], strict=False):
            if s2 < e1:
                raise ValueError(f"{_format(s1, e1)} and {_format(s2, e2)} overlap")
        object.__setattr__(self, "periods", periods)

    @classmethod
    def parse(cls, text: str, tz: ZoneInfo | None = None) -> WorkSchedule:
        """The schedule written as "08:00-12:00,14:30-17:30"; raises ValueError if malformed.

        Full-width commas, semicolons, "–" and "~" are accepted too, as typed on a
        Chinese keyboard; str() gives the canonical form back.
        """
        if not text or not text.strip():
            raise ValueError(f"empty work schedule; expected e.g. {_EXAMPLE}")
        periods = []
        for item in _SEPARATORS.split(text):
            match = _PERIOD.fullmatch(item.strip())
            if not match:
                raise ValueError(
                    f"cannot read {item.strip()!r} as a period of working hours; "
                    f"expected e.g. {_EXAMPLE}"
                )
            h1, m1, h2, m2 = (int(part) for part in match.groups())
            periods.append((_time(h1, m1, item), _time(h2, m2, item)))
        if tz is None:
            return cls(tuple(periods))
        return cls(tuple(periods), tz)

    def __str__(self) -> str:
        return ",".join(_format(start, end) for start, end in self.periods)


def _time(hour: int, minute: int, item: str) -> datetime.time:
    if hour > 23 or minute > 59:
        raise ValueError(f"{hour:02d}:{minute:02d} in {item.strip()!r} is not a time of day")
    return datetime.time(hour, minute)


def _format(start: datetime.time, end: datetime.time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


DEFAULT_SCHEDULE = WorkSchedule.parse(_EXAMPLE)


@lru_cache(maxsize=4096)
def is_workday(day: datetime.date) -> bool:
    """Whether people work on this day in China (holidays off, 调休 make-up days on).

    Outside the years chinese-calendar knows, Monday–Friday, with one warning per year.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_no_holiday_data(day.year)
        return day.weekday() < 5


@lru_cache(maxsize=64)
def _warn_no_holiday_data(year: int) -> None:
    logger.warning("no holiday data for %d; counting Monday–Friday", year)


@lru_cache(maxsize=4096)
def _working_periods(
    schedule: WorkSchedule, day: datetime.date
) -> tuple[tuple[datetime.datetime, datetime.datetime], ...]:
    """The day's working periods as UTC instants; none on a day off."""
    if not is_workday(day):
        return ()
    return tuple(
        (
            datetime.datetime.combine(day, start, schedule.tz).astimezone(UTC),
            datetime.datetime.combine(day, end, schedule.tz).astimezone(UTC),
        )
        for start, end in schedule.periods
    )


def is_working_time(moment: datetime.datetime, schedule: WorkSchedule = DEFAULT_SCHEDULE) -> bool:
    """Whether the moment falls inside a working period of a working day.

    Raises ValueError for a naive datetime.
    """
    at = _utc(moment, "moment")
    day = at.astimezone(schedule.tz).date()
    return any(start <= at < end for start, end in _working_periods(schedule, day))


def add_minutes(
    start: datetime.datetime,
    minutes: float,
    clock: Clock = "calendar",
    schedule: WorkSchedule = DEFAULT_SCHEDULE,
) -> datetime.datetime:
    """The moment `minutes` of the clock's time have passed after `start`.

    On the working clock, counting begins at the first working moment at or after
    `start`, and the answer is the earliest moment the minutes are used up: 60
    minutes from 11:00 end at 12:00, not at the afternoon's start. So 0 minutes
    ("due now") give `start` itself inside working time and the start of the next
    working period outside it. Minutes are rounded to the microsecond.

    Raises ValueError for a naive datetime, negative or non-finite minutes, or an
    unknown clock.
    """
    at = _utc(start, "start")
    _check_clock(clock)
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"minutes must be a finite number ≥ 0, not {minutes!r}")
    span = datetime.timedelta(minutes=minutes)
    if clock == "calendar":
        return (at + span).astimezone(schedule.tz)
    return _add_working(at, span, schedule).astimezone(schedule.tz)


def _add_working(
    at: datetime.datetime, span: datetime.timedelta, schedule: WorkSchedule
) -> datetime.datetime:
    day = at.astimezone(schedule.tz).date()
    # Ends: every year has working days (the fallback is Monday–Friday).
    while True:
        for period_start, period_end in _working_periods(schedule, day):
            if period_end <= at:
                continue
            begin = max(period_start, at)
            if span <= period_end - begin:
                return begin + span
            span -= period_end - begin
        day += ONE_DAY


def minutes_between(
    start: datetime.datetime,
    end: datetime.datetime,
    clock: Clock = "calendar",
    schedule: WorkSchedule = DEFAULT_SCHEDULE,
) -> float:
    """Minutes of the clock's time from `start` to `end`; negative if `end` is earlier.

    On the working clock only minutes inside working periods of working days count.
    Raises ValueError for naive datetimes or an unknown clock.
    """
    return _elapsed(start, end, clock, schedule) / datetime.timedelta(minutes=1)


def _elapsed(
    start: datetime.datetime, end: datetime.datetime, clock: Clock, schedule: WorkSchedule
) -> datetime.timedelta:
    """minutes_between as an exact timedelta."""
    a, b = _utc(start, "start"), _utc(end, "end")
    _check_clock(clock)
    if clock == "calendar":
        return b - a
    if b < a:
        return -_working_between(b, a, schedule)
    return _working_between(a, b, schedule)


def _working_between(
    a: datetime.datetime, b: datetime.datetime, schedule: WorkSchedule
) -> datetime.timedelta:
    total = ZERO
    day = a.astimezone(schedule.tz).date()
    last = b.astimezone(schedule.tz).date()
    while day <= last:
        for period_start, period_end in _working_periods(schedule, day):
            overlap = min(period_end, b) - max(period_start, a)
            if overlap > ZERO:
                total += overlap
        day += ONE_DAY
    return total


def traffic_light(
    start: datetime.datetime,
    due: datetime.datetime,
    now: datetime.datetime,
    clock: Clock = "calendar",
    schedule: WorkSchedule = DEFAULT_SCHEDULE,
    yellow_at: float = 0.8,
) -> Light:
    """Green under `yellow_at` of the allowed time (start → due) used, yellow up to
    and including the due moment, red once `now` is past due.

    With no allowed time (due at or before start, or no working time between them),
    yellow until past due. Raises ValueError for naive datetimes, an unknown clock,
    or `yellow_at` outside (0, 1].
    """
    if not 0 < yellow_at <= 1:
        raise ValueError(f"yellow_at must be in (0, 1], not {yellow_at!r}")
    if _utc(now, "now") > _utc(due, "due"):
        return "red"
    allowed = _elapsed(start, due, clock, schedule)
    if allowed <= ZERO:
        return "yellow"
    used = _elapsed(start, now, clock, schedule)
    # Compared as timedeltas (whole microseconds), so 80 % of 420 minutes is exactly 336.
    return "yellow" if used >= allowed * yellow_at else "green"


def shift(
    due: datetime.datetime,
    paused_from: datetime.datetime,
    paused_to: datetime.datetime,
    clock: Clock = "calendar",
    schedule: WorkSchedule = DEFAULT_SCHEDULE,
) -> datetime.datetime:
    """The due time moved later by the length of a pause, measured on the clock.

    A pause with no working time in it (a weekend) leaves a working-clock due time
    where it was. Raises ValueError for naive datetimes, an unknown clock, or a
    pause that ends before it starts.
    """
    at = _utc(due, "due")
    pause = _elapsed(paused_from, paused_to, clock, schedule)
    if pause < ZERO:
        raise ValueError(f"pause ends ({paused_to}) before it starts ({paused_from})")
    if clock == "calendar" or pause == ZERO:
        return (at + pause).astimezone(schedule.tz)
    return _add_working(at, pause, schedule).astimezone(schedule.tz)


def _utc(value: datetime.datetime, name: str) -> datetime.datetime:
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} is a naive datetime ({value}); give it a time zone")
    return value.astimezone(UTC)


def _check_clock(clock: str) -> None:
    if clock not in CLOCKS:
        raise ValueError(f"unknown clock {clock!r}; expected one of {', '.join(CLOCKS)}")
