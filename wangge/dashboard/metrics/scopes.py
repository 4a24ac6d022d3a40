"""Whose figures, over which time: `Period` (a half-open interval in
Asia/Shanghai) and `Scope` (town, village, grid, department or grid worker);
`scope_for(user, param)` decides which scopes a user may ask for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases.choices import Priority

SCOPE_KINDS = ("town", "village", "grid", "department", "worker")
MAX_DAYS = 3660


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local_now(now=None) -> datetime:
    return timezone.localtime(now or timezone.now(), _tz())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_tz())


# --- Periods -------------------------------------------------------------------


FIRST_YEAR = 2000  # no town kept cases in wangge before this


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of aware datetimes in Asia/Shanghai."""

    start: datetime
    end: datetime
    text: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str | None, *, now=None) -> Period:
        """ "today", "month" (default: this month so far), "year", "90d", "2026-11",
        "2026", "2026-11-01..2026-11-27" (inclusive days). ValueError with a
        translated message on bad input."""
        local = _local_now(now)
        today = local.date()
        raw = (text or "month").strip().lower()
        try:
            if raw == "today":
                return cls(_midnight(today), local, raw)
            if raw == "month":
                return cls(_midnight(today.replace(day=1)), local, raw)
            if raw == "year":
                return cls(_midnight(today.replace(month=1, day=1)), local, raw)
            if m := re.fullmatch(r"(\d{1,4})d", raw):
                days = int(m[1])
                if not 1 <= days <= MAX_DAYS:
                    raise ValueError
                return cls(_midnight(today - timedelta(days=days - 1)), local, raw)
            years = [] if raw.endswith("d") else [int(y) for y in re.findall(r"\d{4}", raw)]
            if any(not FIRST_YEAR <= year <= today.year + 1 for year in years):
                raise ValueError  # a typo like 0001 or 9999, not a period of the town
            if m := re.fullmatch(r"(\d{4})-(\d{1,2})", raw):
                first = date(int(m[1]), int(m[2]), 1)
                following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
                return cls(_midnight(first), _midnight(following), f"{first:%Y-%m}")
            if re.fullmatch(r"\d{4}", raw):
                year = int(raw)
                return cls(_midnight(date(year, 1, 1)), _midnight(date(year + 1, 1, 1)), raw)
            if m := re.fullmatch(r"(\d{4}-\d{1,2}-\d{1,2})\.\.(\d{4}-\d{1,2}-\d{1,2})", raw):
                first = date(*map(int, m[1].split("-")))
                last = date(*map(int, m[2].split("-")))
                if last < first or (last - first).days >= MAX_DAYS:
                    raise ValueError
                return cls(
                    _midnight(first), _midnight(last + timedelta(days=1)), f"{first}..{last}"
                )
        except (ValueError, OverflowError):
            pass
        raise ValueError(
            _(
                "Unknown period “%(text)s”: use today, month, year, 90d, 2026-11, 2026 "
                "or 2026-11-01..2026-11-27."
            )
            % {"text": text}
        )

    @property
    def param(self) -> str:
        """The text form, for URLs."""
        if self.text:
            return self.text
        last = timezone.localtime(self.end - timedelta(microseconds=1), _tz()).date()
        return f"{timezone.localtime(self.start, _tz()).date()}..{last}"

    def previous_year(self) -> Period:
        """The same interval one year earlier (29 February becomes the 28th)."""

        def back(moment: datetime) -> datetime:
            local = timezone.localtime(moment, _tz())
            try:
                return local.replace(year=local.year - 1)
            except ValueError:
                return local.replace(year=local.year - 1, day=28)

        return Period(back(self.start), back(self.end))

    def days(self) -> list[date]:
        first = timezone.localtime(self.start, _tz()).date()
        last = timezone.localtime(self.end - timedelta(microseconds=1), _tz()).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def as_dict(self) -> dict:
        return {"param": self.param, "start": self.start.isoformat(), "end": self.end.isoformat()}


# --- Scopes --------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose figures: kind "town" | "village" | "grid" | "department" | "worker".

    A worker's scope is the grids they work as grid worker (or instructor)."""

    kind: str
    id: int
    name: str
    town_id: int | None = None
    grid_ids: tuple[int, ...] = ()
    # "police": community police see a village's or grid's figures of the cases
    # they may see there (emergencies and police matters), as on the case pages.
    only: str = ""

    @property
    def param(self) -> str:
        """e.g. "village:12"."""
        return f"{self.kind}:{self.id}"

    def q(self) -> Q:
        if self.kind == "town":
            place = Q(town_id=self.id)
        elif self.kind == "village":
            place = Q(village_id=self.id)
        elif self.kind == "grid":
            place = Q(grid_id=self.id)
        elif self.kind == "department":
            place = Q(lead_department_id=self.id)
        else:
            place = Q(grid_id__in=self.grid_ids)
        if self.only == "police":
            place &= Q(priority=Priority.EMERGENCY) | Q(category__police_relevant=True)
        return place

    def cases(self, queryset=None):
        """Narrow a Case queryset (default: all cases) to this scope."""
        from wangge.cases.models import Case

        if queryset is None:
            queryset = Case.objects.all()
        return queryset.filter(self.q())

    def grids(self):
        """The grids this scope covers (a department: the grids of its town)."""
        from wangge.grids.models import Grid

        grids = Grid.objects.order_by("code")
        if self.kind == "village":
            return grids.filter(village_id=self.id)
        if self.kind == "grid":
            return grids.filter(pk=self.id)
        if self.kind == "worker":
            return grids.filter(pk__in=self.grid_ids)
        return grids.filter(town_id=self.town_id)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id, "name": self.name, "param": self.param}


def _worker_grids(user_id: int) -> tuple[int, ...]:
    from wangge.staff.models import Role, RoleAssignment

    return tuple(
        sorted(
            RoleAssignment.objects.filter(
                user_id=user_id,
                role__in=(Role.GRID_WORKER, Role.GRID_INSTRUCTOR),
                grid__isnull=False,
            ).values_list("grid_id", flat=True)
        )
    )


def make_scope(kind: str, id: int) -> Scope:
    """The scope of one place, unit or worker (no permission check). Http404 when missing."""
    from wangge.grids.models import Grid, Town, Village
    from wangge.staff.models import Department, User

    models = {"town": Town, "village": Village, "grid": Grid, "department": Department}
    if kind in models:
        obj = models[kind].objects.filter(pk=id).first()
        if obj is None:
            raise Http404(_("No such scope."))
        town_id = obj.pk if kind == "town" else obj.town_id
        return Scope(kind, obj.pk, obj.name, town_id)
    if kind == "worker":
        user = User.objects.filter(pk=id).first()
        grids = _worker_grids(id) if user else ()
        if not grids:
            raise Http404(_("No such scope."))
        return Scope(kind, user.pk, str(user), user.town_id, grids)
    raise ValueError(_("Unknown scope “%(kind)s”.") % {"kind": kind})


def _parse_scope_param(param: str) -> tuple[str, int]:
    kind, _sep, ident = (param or "").partition(":")
    if kind not in SCOPE_KINDS or not ident.isdigit():
        raise ValueError(
            _(
                "Unknown scope “%(param)s”: use town:ID, village:ID, grid:ID, department:ID or worker:ID."
            )
            % {"param": param}
        )
    return kind, int(ident)


def may_see(user, scope: Scope, *, as_police: bool = True) -> bool:
    """Whether the user may ask for this scope's figures (decided from wangge.staff.scope).

    `as_police=False` leaves out what community police see through their beat."""
    from wangge.grids.models import Grid
    from wangge.staff.scope import scope_for as staff_scope

    s = staff_scope(user)
    if s.unrestricted:
        return True
    towns = s.ids("town")
    villages = s.ids("village") | (s.ids("police_village") if as_police else frozenset())
    grids = s.ids("grid")
    if scope.kind == "town":
        return scope.id in towns
    if scope.kind == "village":
        return scope.town_id in towns or scope.id in villages
    if scope.kind == "department":
        return scope.town_id in towns or scope.id in s.ids("department")
    if scope.kind == "grid":
        grid_ids = {scope.id}
    elif scope.kind == "worker":
        if user.pk == scope.id:
            return True
        grid_ids = set(scope.grid_ids)
    else:
        return False
    rows = Grid.objects.filter(pk__in=grid_ids).values_list("pk", "village_id", "town_id")
    return bool(rows) and all(
        pk in grids or village in villages or town in towns for pk, village, town in rows
    )


def scope_for(user, param: str | None) -> Scope:
    """The scope `param` names ("village:12"), or the user's own widest scope when None.

    Raises Http404 when it names nothing or nothing the user may see (as any
    row outside a scope), PermissionDenied when the user has no figures at all,
    ValueError on a malformed param. Community police get a village's or grid's
    figures of police matters only (`Scope.only`)."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied
    if param:
        scope = make_scope(*_parse_scope_param(param))
        if not may_see(user, scope):
            # Outside the user's scope is "not found", as everywhere: no hint it exists.
            raise Http404(_("You may not see the figures of this scope."))
        return _for_police(user, scope)
    return _for_police(user, _own_scope(user))


def _for_police(user, scope: Scope) -> Scope:
    """Narrow a scope the user sees only through a police beat to police matters."""
    if may_see(user, scope, as_police=False):
        return scope
    return replace(scope, only="police")


def _own_scope(user) -> Scope:
    from wangge.grids.models import Town
    from wangge.staff.scope import scope_for as staff_scope

    s = staff_scope(user)
    if s.unrestricted:
        town_id = user.town_id or Town.objects.order_by("pk").values_list("pk", flat=True).first()
        if town_id is None:
            raise PermissionDenied(_("You have no figures to see."))
        return make_scope("town", town_id)
    for kind, ids in (
        ("town", s.ids("town")),
        ("village", s.ids("village") | s.ids("police_village")),
        ("department", s.ids("department")),
    ):
        if ids:
            return make_scope(kind, min(ids))
    grids = s.ids("grid")
    if len(grids) == 1:
        return make_scope("grid", next(iter(grids)))
    if grids and _worker_grids(user.pk):
        return make_scope("worker", user.pk)
    if grids:
        return make_scope("grid", min(grids))
    raise PermissionDenied(_("You have no figures to see."))


def children(scope: Scope) -> list[dict]:
    """What a scope drills down to: the villages of a town, the grids of a village."""
    from wangge.grids.models import Grid, Village

    if scope.kind == "town":
        rows = Village.objects.filter(town_id=scope.id).order_by("code")
        return [
            {"kind": "village", "id": v.pk, "name": v.name, "param": f"village:{v.pk}"}
            for v in rows
        ]
    if scope.kind in ("village", "worker"):
        rows = scope.grids() if scope.kind == "worker" else Grid.objects.filter(village_id=scope.id)
        return [
            {"kind": "grid", "id": g.pk, "name": g.name, "code": g.code, "param": f"grid:{g.pk}"}
            for g in rows.order_by("code")
        ]
    return []
