"""The vocabulary of cases: states and their groups, priorities, channels, levels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REPORTED = "reported", _("reported")
    ACCEPTED = "accepted", _("accepted")
    DISPATCHED = "dispatched", _("dispatched")
    CLAIMED = "claimed", _("claimed")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    SUSPENDED = "suspended", _("suspended")
    REJECTED = "rejected", _("rejected")
    MERGED = "merged", _("merged")
    CANCELLED = "cancelled", _("cancelled")


TERMINAL_STATES = frozenset({State.CLOSED, State.REJECTED, State.MERGED, State.CANCELLED})
OPEN_STATES = frozenset(set(State) - TERMINAL_STATES)
# States whose clocks run (a suspended case's clocks stop).
RUNNING_STATES = OPEN_STATES - {State.SUSPENDED}


class Priority(models.TextChoices):
    EMERGENCY = "emergency", _("emergency")
    URGENT = "urgent", _("urgent")
    NORMAL = "normal", _("normal")
    SERVICE = "service", _("service item")


class Channel(models.TextChoices):
    WEB = "web", _("resident web form")
    HOTLINE = "hotline", _("hotline")
    OPEN311 = "open311", _("Open311")
    API = "api", _("app / API")
    PATROL = "patrol", _("grid patrol")
    VISIT = "visit", _("door-knock visit")
    INSPECTION = "inspection", _("inspection")
    POLICE_DIRECTIVE = "police_directive", _("police directive")
    VIDEO_ALARM = "video_alarm", _("video alarm")


class Level(models.TextChoices):
    """Where a case is being settled: 小事不出组、大事不出村、难事不出镇."""

    GROUP = "group", _("group (grid)")
    VILLAGE = "village", _("village")
    TOWN = "town", _("town")
    COUNTY = "county", _("county")


LEVEL_ORDER = [Level.GROUP, Level.VILLAGE, Level.TOWN, Level.COUNTY]


def next_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(Level(level))
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASIC = "basic", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class Milestone(models.TextChoices):
    ACCEPT = "accept", _("accept")
    ON_SCENE = "on_scene", _("on scene")
    DISPATCH = "dispatch", _("dispatch")
    CLAIM = "claim", _("claim")
    RESOLVE = "resolve", _("resolve")
    CLOSE = "close", _("close")


class CategoryKind(models.TextChoices):
    PROBLEM = "problem", _("problem")
    SERVICE = "service", _("service item")


class FigureGroup(models.TextChoices):
    """Categories counted together in year-over-year figures."""

    NONE = "", _("none")
    PETITION = "petition", _("petition (信访)")
    PUBLIC_ORDER = "public_order", _("public order")
    SAFETY = "safety", _("safety hazard")
    DISPUTE = "dispute", _("dispute")
    LIVELIHOOD = "livelihood", _("livelihood")
    EMERGENCY = "emergency", _("emergency")


class Clock(models.TextChoices):
    CALENDAR = "calendar", _("calendar time (24×7)")
    WORKING = "working", _("working time")
