"""Reserve cadres (pipeline, a cadre with assessments) and rectification projects
(list, a project with its targets and progress). Thin: parse, authorise, call one
service, respond."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.community import services
from wangge.community.errors import CommunityError, NotFound
from wangge.community.models import (
    PIPELINE,
    CadreAssessment,
    Criterion,
    ProgressUpdate,
    RectificationProject,
    RectificationTarget,
    ReserveCadre,
    Stage,
)
from wangge.core.numbers import object_id
from wangge.grids.models import Village


def _need(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _refused(request, error: CommunityError):
    if isinstance(error, NotFound):
        raise Http404(str(error.message))
    messages.error(request, error.message)


def _date(value):
    """A date given as YYYY-MM-DD: None when blank, False when not a valid date."""
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return False


@login_required
def cadres(request):
    _need(request, "community.view_reservecadre")
    latest = CadreAssessment.objects.filter(cadre=OuterRef("pk")).order_by("-assessed_on", "-id")
    rows = (
        ReserveCadre.objects.visible_to(request.user)
        .select_related("village")
        .annotate(
            latest_total=Subquery(latest.values("total")[:1]),
            latest_on=Subquery(latest.values("assessed_on")[:1]),
        )
        .order_by("village__code", "name")
    )
    # A village id that cannot be one is ignored like an absent filter.
    village = object_id(request.GET.get("village", ""))
    if village is not None:
        rows = rows.filter(village_id=village)
    columns = {stage: [] for stage in [*PIPELINE, Stage.LEFT]}
    for cadre in rows:
        columns[cadre.stage].append(cadre)
    return render(
        request,
        "community/cadres.html",
        {
            "columns": [(Stage(stage).label, items) for stage, items in columns.items()],
            "total": sum(len(items) for items in columns.values()),
            "villages": Village.objects.visible_to(request.user).order_by("code"),
            "village": village,
        },
    )


@login_required
def cadre(request, pk):
    _need(request, "community.view_reservecadre")
    person = get_object_or_404(
        ReserveCadre.objects.visible_to(request.user).select_related("village", "resident"), pk=pk
    )
    return render(
        request,
        "community/cadre.html",
        {
            "cadre": person,
            "assessments": person.assessments.select_related("assessor"),
            "criteria": list(Criterion),
            "stages": Stage.choices,
            "today": timezone.localdate().isoformat(),
            "can_assess": request.user.has_perm("community.assess_reservecadre"),
            "can_move": request.user.has_perm("community.change_reservecadre"),
        },
    )


@login_required
@require_POST
def assess(request, pk):
    person = get_object_or_404(ReserveCadre.objects.visible_to(request.user), pk=pk)
    assessed_on = _date(request.POST.get("assessed_on"))
    if assessed_on is False:
        messages.error(request, _("The date is not valid."))
        return redirect("community:cadre", pk=person.pk)
    try:
        services.assess(
            request.user,
            person,
            scores={c.value: request.POST.get(c.value, "") for c in Criterion},
            comment=request.POST.get("comment", ""),
            assessed_on=assessed_on,
        )
    except CommunityError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Assessment recorded."))
    return redirect("community:cadre", pk=person.pk)


@login_required
@require_POST
def move(request, pk):
    person = get_object_or_404(ReserveCadre.objects.visible_to(request.user), pk=pk)
    try:
        services.move_stage(request.user, person, request.POST.get("stage", ""))
    except CommunityError as error:
        _refused(request, error)
    return redirect("community:cadre", pk=person.pk)


@login_required
def projects(request):
    _need(request, "community.view_rectificationproject")
    rows = (
        RectificationProject.objects.visible_to(request.user)
        .select_related("village")
        .prefetch_related("targets")
    )
    return render(request, "community/projects.html", {"projects": rows})


@login_required
def project(request, pk):
    _need(request, "community.view_rectificationproject")
    item = get_object_or_404(
        RectificationProject.objects.visible_to(request.user).select_related("village"), pk=pk
    )
    targets = RectificationTarget.objects.filter(project=item).prefetch_related(
        Prefetch("updates", ProgressUpdate.objects.select_related("reported_by").order_by("on"))
    )
    return render(
        request,
        "community/project.html",
        {
            "project": item,
            "targets": targets,
            "today": timezone.localdate().isoformat(),
            "can_report": request.user.has_perm("community.add_progressupdate"),
        },
    )


@login_required
@require_POST
def report(request, pk):
    target = get_object_or_404(RectificationTarget.objects.visible_to(request.user), pk=pk)
    on = _date(request.POST.get("on"))
    if not on:
        messages.error(request, _("The date is not valid."))
    else:
        try:
            services.report_progress(
                request.user,
                target,
                on=on,
                cumulative=request.POST.get("cumulative", ""),
                note=request.POST.get("note", ""),
            )
        except CommunityError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Progress recorded."))
    return redirect("community:project", pk=target.project_id)
