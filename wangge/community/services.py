"""Every change to the reserve-cadre register and the rectification projects, one
function each: register, move along the pipeline, assess; create a project,
report progress."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.community.errors import InvalidInput, NotAllowed, NotFound
from wangge.community.models import (
    CRITERION_MAX,
    Background,
    CadreAssessment,
    Criterion,
    Education,
    Grade,
    ProgressUpdate,
    ProjectStatus,
    RectificationProject,
    RectificationTarget,
    ReserveCadre,
    Stage,
)
from wangge.core.numbers import whole_number
from wangge.grids.models import Village
from wangge.residents.models import Resident

# Progress beyond this multiple of a target is taken for a typing error.
MAX_OVERFULFILMENT = 2


# The largest primary key both SQLite and PostgreSQL (integer) take.
def _require(actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise NotAllowed()


def _visible(actor, model, pk, message):
    found = model.objects.visible_to(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound(message)
    return found


def _today(now=None) -> date:
    return timezone.localdate(now or timezone.now())


def grade_for(total: int) -> str:
    """优秀 ≥ 90, 良好 ≥ 75, 合格 ≥ 60, else 不合格."""
    if total >= 90:
        return Grade.EXCELLENT
    if total >= 75:
        return Grade.GOOD
    if total >= 60:
        return Grade.PASS
    return Grade.FAIL


def register_cadre(
    actor,
    village: Village,
    *,
    name: str,
    gender: str,
    birth_year: int,
    education: str,
    background: str,
    resident: Resident | None = None,
    party_member: bool = False,
    current_post: str = "",
    target_post: str = "",
    registered_on: date | None = None,
    note: str = "",
    now=None,
) -> ReserveCadre:
    """Put a person on the village's register. Raises NotAllowed, NotFound, InvalidInput."""
    _require(actor, "community.add_reservecadre")
    village = _visible(actor, Village, village.pk, _("No such village."))
    today = _today(now)
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise InvalidInput(_("Give the person's name (at most 50 characters)."), field="name")
    if gender not in ("male", "female"):
        raise InvalidInput(_("Choose a gender."), field="gender")
    if not isinstance(birth_year, int) or not today.year - 70 <= birth_year <= today.year - 18:
        raise InvalidInput(
            _("The year of birth must make the person 18 to 70 years old."), field="birth_year"
        )
    if education not in Education.values:
        raise InvalidInput(_("Choose an education."), field="education")
    if background not in Background.values:
        raise InvalidInput(_("Choose a background."), field="background")
    if resident is not None:
        resident = _visible(actor, Resident, resident.pk, _("No such resident."))
        if resident.household.village_id != village.pk:
            raise InvalidInput(_("The resident does not live in this village."), field="resident")
    registered_on = registered_on or today
    if registered_on > today:
        raise InvalidInput(_("The date cannot be in the future."), field="registered_on")
    return ReserveCadre.objects.create(
        town_id=village.town_id,
        village=village,
        resident=resident,
        name=name,
        gender=gender,
        birth_year=birth_year,
        education=education,
        background=background,
        party_member=party_member,
        current_post=current_post.strip()[:60],
        target_post=target_post.strip()[:60],
        registered_on=registered_on,
        note=note.strip()[:200],
    )


def move_stage(actor, cadre: ReserveCadre, stage: str) -> ReserveCadre:
    """Move a reserve cadre along the pipeline. Raises NotAllowed, NotFound, InvalidInput."""
    _require(actor, "community.change_reservecadre")
    cadre = _visible(actor, ReserveCadre, cadre.pk, _("No such reserve cadre."))
    if stage not in Stage.values:
        raise InvalidInput(_("Choose a stage."), field="stage")
    ReserveCadre.objects.filter(pk=cadre.pk).update(stage=stage)
    cadre.stage = stage
    return cadre


def assess(
    actor, cadre: ReserveCadre, *, scores: dict, comment: str, assessed_on=None, now=None
) -> CadreAssessment:
    """Record an instructor's assessment: five criteria of 0–20 points and a comment.

    Raises NotAllowed, NotFound, InvalidInput.
    """
    _require(actor, "community.assess_reservecadre")
    cadre = _visible(actor, ReserveCadre, cadre.pk, _("No such reserve cadre."))
    now = now or timezone.now()
    today = _today(now)
    values = {}
    for criterion in Criterion:
        value = whole_number(scores.get(criterion.value), low=0, high=CRITERION_MAX)
        if value is None:
            raise InvalidInput(
                _("%(criterion)s must be a whole number from 0 to %(max)s.")
                % {"criterion": criterion.label, "max": CRITERION_MAX},
                field=criterion.value,
            )
        values[criterion.value] = value
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput(_("Write a comment on the assessment."), field="comment")
    assessed_on = assessed_on or today
    if assessed_on > today:
        raise InvalidInput(_("The date cannot be in the future."), field="assessed_on")
    if assessed_on < cadre.registered_on:
        raise InvalidInput(_("The date is before the person was registered."), field="assessed_on")
    total = sum(values.values())
    return CadreAssessment.objects.create(
        town_id=cadre.town_id,
        cadre=cadre,
        assessor=actor,
        assessed_on=assessed_on,
        total=total,
        grade=grade_for(total),
        comment=comment[:2000],
        created_at=now,
        **values,
    )


def create_project(
    actor,
    village: Village,
    *,
    title: str,
    started_on: date,
    due_on: date,
    targets: list[tuple[str, str, int]],
    reason: str = "",
) -> RectificationProject:
    """Open a rectification project with its counted targets (what, unit, target).

    Raises NotAllowed, NotFound, InvalidInput.
    """
    _require(actor, "community.add_rectificationproject")
    village = _visible(actor, Village, village.pk, _("No such village."))
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Give the project a title."), field="title")
    if due_on < started_on:
        raise InvalidInput(_("The due date is before the start."), field="due_on")
    if not targets:
        raise InvalidInput(_("A project needs at least one counted target."), field="targets")
    for name, unit, target in targets:
        if not name.strip() or not unit.strip():
            raise InvalidInput(_("Each target needs what and a unit."), field="targets")
        if not isinstance(target, int) or target <= 0:
            raise InvalidInput(_("Each target must be a positive whole number."), field="targets")
    with transaction.atomic():
        project = RectificationProject.objects.create(
            town_id=village.town_id,
            village=village,
            title=title[:100],
            reason=reason.strip()[:300],
            started_on=started_on,
            due_on=due_on,
            created_by=actor,
        )
        RectificationTarget.objects.bulk_create(
            RectificationTarget(
                town_id=village.town_id,
                project=project,
                name=name.strip()[:60],
                unit=unit.strip()[:10],
                target=target,
                position=i,
            )
            for i, (name, unit, target) in enumerate(targets)
        )
    return project


def report_progress(
    actor, target: RectificationTarget, *, on: date, cumulative, note: str = "", now=None
) -> ProgressUpdate:
    """Report how much of a target is done in all on a date.

    Cumulative figures never go down: a value below an earlier report (or above a
    later one), a negative value, a date in the future or before the project's
    start, and more than twice the target are refused. Raises NotAllowed,
    NotFound, InvalidInput.
    """
    _require(actor, "community.add_progressupdate")
    target = _visible(actor, RectificationTarget, target.pk, _("No such target."))
    now = now or timezone.now()
    if isinstance(cumulative, str):
        cumulative = cumulative.replace(",", "")
    cumulative = whole_number(cumulative)
    if cumulative is None:
        raise InvalidInput(_("Give the amount done as a whole number."), field="cumulative")
    if cumulative < 0:
        raise InvalidInput(_("The amount done cannot be negative."), field="cumulative")
    if cumulative > MAX_OVERFULFILMENT * target.target:
        raise InvalidInput(
            _("%(value)s %(unit)s is more than twice the target of %(target)s %(unit)s.")
            % {"value": cumulative, "unit": target.unit, "target": target.target},
            field="cumulative",
        )
    project = target.project
    if on > _today(now):
        raise InvalidInput(_("The date cannot be in the future."), field="on")
    if on < project.started_on:
        raise InvalidInput(_("The date is before the project started."), field="on")
    with transaction.atomic():
        # Lock the target so two reports of one target are checked one after the other.
        RectificationTarget.objects.select_for_update().filter(pk=target.pk).first()
        updates = ProgressUpdate.objects.filter(target=target)
        before = updates.filter(on__lte=on).aggregate(m=Max("cumulative"))["m"]
        after = updates.filter(on__gt=on).aggregate(m=Min("cumulative"))["m"]
        if before is not None and cumulative < before:
            raise InvalidInput(
                _(
                    "The amount done in all cannot go down: %(before)s %(unit)s were "
                    "already reported by that date."
                )
                % {"before": before, "unit": target.unit},
                field="cumulative",
            )
        if after is not None and cumulative > after:
            raise InvalidInput(
                _("A later report says only %(after)s %(unit)s were done.")
                % {"after": after, "unit": target.unit},
                field="cumulative",
            )
        update = ProgressUpdate.objects.create(
            town_id=target.town_id,
            target=target,
            on=on,
            cumulative=cumulative,
            note=(note or "").strip()[:200],
            reported_by=actor,
            created_at=now,
        )
        latest = ProgressUpdate.objects.filter(target=target).aggregate(m=Max("cumulative"))["m"]
        RectificationTarget.objects.filter(pk=target.pk).update(done=latest)
        unfinished = RectificationTarget.objects.filter(
            project=project, done__lt=F("target")
        ).exists()
        RectificationProject.objects.filter(pk=project.pk).update(
            status=ProjectStatus.ACTIVE if unfinished else ProjectStatus.COMPLETED
        )
    return update
