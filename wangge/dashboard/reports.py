"""Reports for a scope and period: an Excel workbook of the figures and a CSV of
the cases with personal data masked, and background exports that report their
progress through the shared cache so a long export never blocks a page.

Every number in a report comes from `wangge.dashboard.metrics`; this module
only lays them out.
"""

from __future__ import annotations

import csv
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override, pgettext_lazy
from openpyxl import Workbook

from wangge.cases import sla
from wangge.cases.choices import OPEN_STATES, Channel, Level, Priority, State
from wangge.cases.models import Case
from wangge.dashboard import metrics
from wangge.grids.models import Village
from wangge.residents.pii import mask_id_number, mask_phone

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# The figures of DESIGN §5, in the order a report lists them, with their
# official names (the page uses the same labels).
FIGURE_LABELS = {
    # A count, not a case's state: its own context (上报数, not 已提交).
    "reported": pgettext_lazy("figure", "Reported"),
    "accepted": pgettext_lazy("figure", "Accepted"),
    "closed": pgettext_lazy("figure", "Closed"),
    "open_now": gettext_lazy("Open now"),
    "overdue_now": gettext_lazy("Overdue now"),
    "response_rate": gettext_lazy("Response rate"),
    "on_time_rate": gettext_lazy("On-time handling rate"),
    "closure_rate": gettext_lazy("Closure rate"),
    "rework_rate": gettext_lazy("Rework rate"),
    "extension_rate": gettext_lazy("Extension rate"),
    "return_rate": gettext_lazy("Return rate"),
    "urges": gettext_lazy("Urges"),
    "satisfaction_rate": gettext_lazy("Satisfaction rate"),
    "composite_score": gettext_lazy("Composite score"),
    "accept_minutes_p50": gettext_lazy("Time to accept, median (min)"),
    "accept_minutes_p90": gettext_lazy("Time to accept, 90th percentile (min)"),
    "on_scene_minutes_p50": gettext_lazy("Emergencies: time to scene, median (min)"),
    "resolve_hours_p50": gettext_lazy("Time to resolve, median (h)"),
    "resolve_hours_p90": gettext_lazy("Time to resolve, 90th percentile (h)"),
}
SETTLEMENT_LABELS = {
    "group": gettext_lazy("Settled in the group (small matters stay in the group)"),
    "village": gettext_lazy("Settled in the village (big matters stay in the village)"),
    "town": gettext_lazy("Settled in the town (hard matters stay in the town)"),
    "county": gettext_lazy("Settled by the county"),
}
EMERGENCY_LABELS = {
    "total": gettext_lazy("Emergencies"),
    "accepted_in_time": gettext_lazy("Emergencies accepted within 15 minutes"),
    "accepted_in_time_rate": gettext_lazy("Emergencies: share accepted within 15 minutes"),
    "on_scene_in_time": gettext_lazy("Emergencies reached on scene within 15 minutes"),
    "on_scene_in_time_rate": gettext_lazy("Emergencies: share on scene within 15 minutes"),
}
# The columns of the per-place sheets: the headline figures.
ROW_FIGURES = (
    "reported",
    "closed",
    "open_now",
    "overdue_now",
    "response_rate",
    "on_time_rate",
    "closure_rate",
    "rework_rate",
    "satisfaction_rate",
)


def _cell(value):
    """A figure as a spreadsheet value: rates stay fractions (formatted as %)."""
    if isinstance(value, float):
        return round(value, 4)
    return value


def _sub_scopes(scope: metrics.Scope) -> list[metrics.Scope]:
    """The villages of a town scope (one row each on the village sheet)."""
    if scope.kind == "town":
        villages = Village.objects.filter(town_id=scope.id).order_by("code")
    elif scope.kind == "village":
        villages = Village.objects.filter(pk=scope.id)
    else:
        return []
    return [metrics.Scope("village", v.pk, v.name, v.town_id) for v in villages]


def build_workbook(
    scope: metrics.Scope, period: metrics.Period, *, progress: Progress | None = None, now=None
) -> Workbook:
    """The period's report for a scope: a summary, sheets by village, department,
    category and worker, and the list of overdue cases."""
    now = now or timezone.now()
    progress = progress or (lambda done, total: None)
    villages = _sub_scopes(scope)
    steps = 5 + len(villages)
    done = 0

    def step():
        nonlocal done
        done += 1
        progress(done, steps)

    workbook = Workbook(write_only=True)
    figures = metrics.figures(scope, period, now=now)
    sheet = workbook.create_sheet(_("Summary"))
    sheet.append([_("Report of %(scope)s") % {"scope": scope.name}])
    sheet.append([_("Period"), period.param])
    sheet.append([_("From"), timezone.localtime(period.start).strftime("%Y-%m-%d %H:%M")])
    sheet.append(
        [_("Until (exclusive)"), timezone.localtime(period.end).strftime("%Y-%m-%d %H:%M")]
    )
    sheet.append([_("Made at"), timezone.localtime(now).strftime("%Y-%m-%d %H:%M")])
    sheet.append([])
    sheet.append([_("Figure"), _("Value")])
    for key, label in FIGURE_LABELS.items():
        sheet.append([str(label), _cell(figures.get(key))])
    settlement = figures.get("settlement") or {}
    for key, label in SETTLEMENT_LABELS.items():
        sheet.append([str(label), _cell(settlement.get(key))])
    emergency = figures.get("emergency") or {}
    for key, label in EMERGENCY_LABELS.items():
        sheet.append([str(label), _cell(emergency.get(key))])
    step()

    sheet = workbook.create_sheet(_("By village"))
    sheet.append([_("Village")] + [str(FIGURE_LABELS[k]) for k in ROW_FIGURES])
    # One grouped league for all villages (not one figures() call per village).
    league = (
        {row["id"]: row for row in metrics.league(scope, period, "village", now=now)}
        if villages
        else {}
    )
    for village in villages:
        row = league[village.id]
        sheet.append([village.name] + [_cell(row.get(k)) for k in ROW_FIGURES])
        step()

    _league_sheet(workbook, _("By department"), _("Department"), scope, period, "department", now)
    step()
    sheet = workbook.create_sheet(_("By category"))
    sheet.append([_("Category"), _("Reported")])
    for row in metrics.breakdown(scope, period, "category"):
        sheet.append([row["label"], row["count"]])
    step()
    _league_sheet(workbook, _("By worker"), _("Grid worker"), scope, period, "worker", now)
    step()
    _overdue_sheet(workbook, scope, now)
    step()
    return workbook


def _league_sheet(workbook, title, who, scope, period, of, now):
    sheet = workbook.create_sheet(title)
    rows = metrics.league(scope, period, of, now=now)
    extra = [k for k in (rows[0] if rows else {}) if k in FIGURE_LABELS]
    sheet.append([who, _("Score"), _("Grade")] + [str(FIGURE_LABELS[k]) for k in extra])
    for row in rows:
        sheet.append(
            [row["name"], _cell(row["score"]), row["grade"]] + [_cell(row[k]) for k in extra]
        )


def overdue_cases(scope: metrics.Scope, now):
    """Open cases of the scope past a deadline now (the red light), oldest deadline first."""
    return (
        scope.cases(Case.objects.all())
        .filter(sla.light_q("red", now), state__in=OPEN_STATES)
        .order_by("due_at")
    )


def _overdue_sheet(workbook, scope, now):
    sheet = workbook.create_sheet(_("Overdue cases"))
    sheet.append(
        [
            _("Case number"),
            _("Title"),
            _("Village"),
            _("Grid"),
            _("Category"),
            _("State"),
            _("Lead department"),
            _("Deadline"),
            _("Hours overdue"),
        ]
    )
    states = dict(State.choices)
    rows = overdue_cases(scope, now).values_list(
        "number",
        "title",
        "village__name",
        "grid__name",
        "category__name",
        "state",
        "lead_department__name",
        "due_at",
    )
    for number, title, village, grid, category, state, department, due in rows.iterator(
        chunk_size=2000
    ):
        sheet.append(
            [
                number,
                mask_text(title),
                village,
                grid,
                category,
                str(states.get(state, state)),
                department,
                timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
                round((now - due).total_seconds() / 3600, 1),
            ]
        )


# --- CSV of cases ----------------------------------------------------------------

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")
LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")


def mask_text(text: str) -> str:
    """Free text with any ID or phone number in it masked."""
    if not text:
        return ""
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = MOBILE.sub(lambda m: mask_phone(m.group()), text)
    return LANDLINE.sub(lambda m: mask_phone(m.group()), text)


def mask_name(name: str) -> str:
    """王秀英 → 王**: the family name only."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


CSV_COLUMNS = (
    ("number", gettext_lazy("Case number")),
    ("reported_at", gettext_lazy("Reported")),
    ("title", gettext_lazy("Title")),
    ("category__name", gettext_lazy("Category")),
    ("priority", gettext_lazy("Priority")),
    ("channel", gettext_lazy("Channel")),
    ("state", gettext_lazy("State")),
    ("level", gettext_lazy("Level")),
    ("closed_level", gettext_lazy("Settled at")),
    ("village__name", gettext_lazy("Village")),
    ("grid__name", gettext_lazy("Grid")),
    ("address", gettext_lazy("Address")),
    ("reporter_name", gettext_lazy("Reporter")),
    ("reporter_phone_masked", gettext_lazy("Reporter phone")),
    ("lead_department__name", gettext_lazy("Lead department")),
    ("accepted_at", gettext_lazy("Accepted")),
    ("resolved_at", gettext_lazy("Resolved")),
    ("closed_at", gettext_lazy("Closed")),
    ("due_at", gettext_lazy("Next deadline")),
    ("rating", gettext_lazy("Rating")),
)


def cases_in_period(scope: metrics.Scope, period: metrics.Period):
    """The scope's cases reported in the period (half-open)."""
    return scope.cases(Case.objects.all()).filter(
        reported_at__gte=period.start, reported_at__lt=period.end
    )


def write_cases_csv(
    scope: metrics.Scope, period: metrics.Period, out, *, progress: Progress | None = None
) -> int:
    """Write the period's cases as CSV (UTF-8 with BOM, for Excel) to a text
    stream; names, phone and ID numbers masked. Returns the number of rows."""
    progress = progress or (lambda done, total: None)
    cases = cases_in_period(scope, period).order_by("reported_at", "pk")
    total = cases.count()
    choices = {
        "priority": dict(Priority.choices),
        "channel": dict(Channel.choices),
        "state": dict(State.choices),
        "level": dict(Level.choices),
        "closed_level": dict(Level.choices),
        "rating": dict(Case._meta.get_field("rating").choices),
    }
    keys = [key for key, _label in CSV_COLUMNS]
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([str(label) for _key, label in CSV_COLUMNS])
    done = 0
    for row in cases.values_list(*keys).iterator(chunk_size=5000):
        values = []
        for key, value in zip(keys, row, strict=True):
            if key in choices:
                value = str(choices[key].get(value, value)) if value else ""
            elif key.endswith("_at"):
                value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
            elif key == "reporter_name":
                value = mask_name(value)
            elif key in ("title", "address"):
                value = mask_text(value)
            values.append("" if value is None else value)
        writer.writerow(values)
        done += 1
        if done % 5000 == 0:
            progress(done, total)
    progress(done, total)
    return done


# --- Background exports ------------------------------------------------------------

KINDS = {"xlsx", "csv"}
JOB_SECONDS = 24 * 3600
_JOB = re.compile(r"^[0-9a-f]{32}$")


def export_dir() -> Path:
    return Path(settings.VAR_DIR) / "reports"


def _key(job: str) -> str:
    return f"dashboard:export:{job}"


def run_in_background(work: Callable[[], None]) -> None:
    """Run an export on its own thread; the request returns at once."""
    threading.Thread(target=work, daemon=True, name="wangge-export").start()


def start_export(user, scope: metrics.Scope, period: metrics.Period, kind: str, *, language=None):
    """Start writing a report file for `user`; returns the job id to poll.

    Raises ValueError on an unknown kind."""
    if kind not in KINDS:
        raise ValueError(_("Unknown report format: %(kind)s.") % {"kind": kind})
    job = uuid.uuid4().hex
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _remove_old_files(folder)
    filename = f"{scope.name}-{period.param}.{kind}".replace("/", "-").replace("..", "_")
    status = {
        "user": user.pk,
        "state": "running",
        "done": 0,
        "total": 0,
        "kind": kind,
        "filename": filename,
        "error": "",
    }
    cache.set(_key(job), status, JOB_SECONDS)

    def progress(done, total):
        cache.set(_key(job), {**status, "done": done, "total": total}, JOB_SECONDS)

    def work():
        path = folder / f"{job}.{kind}"
        partial = path.with_suffix(".part")
        try:
            with override(language):
                if kind == "xlsx":
                    build_workbook(scope, period, progress=progress).save(partial)
                else:
                    with open(partial, "w", encoding="utf-8", newline="") as out:
                        write_cases_csv(scope, period, out, progress=progress)
            partial.rename(path)
            current = cache.get(_key(job)) or status
            cache.set(_key(job), {**current, "state": "done"}, JOB_SECONDS)
        except Exception as error:  # the page must learn that the export failed
            partial.unlink(missing_ok=True)
            cache.set(_key(job), {**status, "state": "failed", "error": str(error)}, JOB_SECONDS)
            logger.exception("export %s failed", job)
        finally:
            # The thread's own database connection; never the caller's.
            if threading.current_thread() is not threading.main_thread():
                connection.close()

    run_in_background(work)
    return job


def export_status(user, job: str) -> dict | None:
    """The job's status for its owner (None for an unknown job or someone else's)."""
    if not _JOB.match(job or ""):
        return None
    status = cache.get(_key(job))
    if not status or status["user"] != user.pk:
        return None
    return status


def export_file(user, job: str) -> tuple[Path, str] | None:
    """The finished file of the owner's job and its download name, or None."""
    status = export_status(user, job)
    if not status or status["state"] != "done":
        return None
    path = export_dir() / f"{job}.{status['kind']}"
    return (path, status["filename"]) if path.exists() else None


def _remove_old_files(folder: Path) -> None:
    limit = time.time() - JOB_SECONDS
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
