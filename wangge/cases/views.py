"""Staff pages for cases: the queue, a case, its actions, reporting, notices.

Thin views: parse, scope through `Case.objects.visible_to`, call one lifecycle
(or intake) function, respond. A case outside the user's scope is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.cases import intake, notify, sla
from wangge.cases.choices import OPEN_STATES, Level, Milestone, State
from wangge.cases.errors import CaseError
from wangge.cases.forms import FORMS, DispatchForm, ReportForm
from wangge.cases.labels import ACTION_LABELS
from wangge.cases.lifecycle import _DONE, dispatch
from wangge.cases.models import Attachment, Case, Category, Notice
from wangge.cases.rules import allowed_actions
from wangge.grids.models import Village
from wangge.staff.models import Department
from wangge.staff.scope import assignments

PAGE_SIZE = 50


def _visible(user):
    return Case.objects.visible_to(user)


@login_required
def queue(request):
    """The work queue: open cases by default, filtered by state, light, level, place, category."""
    now = timezone.now()
    cases = _visible(request.user).select_related("category", "grid", "village", "lead_department")
    params = request.GET
    state = params.get("state", "open")
    if state == "open":
        cases = cases.filter(state__in=OPEN_STATES)
    elif state in State.values:
        cases = cases.filter(state=state)
    light = params.get("light", "")
    if light in ("red", "yellow", "green"):
        cases = cases.filter(sla.light_q(light, now))
    if params.get("level") in Level.values:
        cases = cases.filter(level=params["level"])
    if params.get("village", "").isdigit():
        cases = cases.filter(village_id=int(params["village"]))
    if params.get("category", "").isdigit():
        category = int(params["category"])
        cases = cases.filter(Q(category_id=category) | Q(category__parent_id=category))
    if params.get("due") == "today":
        # The day's list: what falls due before midnight (and what is already late).
        end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
        cases = cases.filter(due_at__lte=end_of_day)
    if params.get("mine"):
        cases = cases.filter(owner_user=request.user)
    if params.get("unplaced"):
        cases = cases.filter(needs_placing=True)
    query = params.get("q", "").strip()
    if query:
        cases = cases.filter(
            Q(number=query) | Q(title__icontains=query) | Q(address__icontains=query)
        )
    cases = cases.order_by(F("due_at").asc(nulls_last=True), "-reported_at")
    page = Paginator(cases, PAGE_SIZE).get_page(params.get("page"))
    rows = [(case, sla.light_of(case, now)) for case in page]
    can_dispatch = _is_dispatcher(request.user)
    return render(
        request,
        "cases/queue.html",
        {
            "page": page,
            "rows": rows,
            "states": State.choices,
            "levels": Level.choices,
            "villages": Village.objects.visible_to(request.user).order_by("code"),
            "categories": Category.objects.filter(parent__isnull=True, active=True),
            "filters": params,
            "state": state,
            "query": query,
            "can_dispatch": can_dispatch,
            "departments": Department.objects.visible_to(request.user).order_by("code")
            if can_dispatch
            else [],
        },
    )


def _is_dispatcher(user) -> bool:
    return user.is_superuser or any(a.role == "dispatcher" for a in assignments(user))


def _milestones(case: Case, now):
    """Each milestone's due and actual time, with a light while it is open."""
    open_ = {m.milestone: m for m in sla.open_milestones(case)}
    rows = []
    for milestone in Milestone:
        due = getattr(case, f"{milestone}_due_at")
        done = getattr(case, _DONE[milestone])
        if due is None and done is None:
            continue
        light = sla.light(case, open_[milestone], now) if milestone in open_ else None
        late = bool(due and done and done > due)
        rows.append(
            {"label": milestone.label, "due": due, "done": done, "light": light, "late": late}
        )
    return rows


@login_required
def detail(request, number):
    case = get_object_or_404(
        _visible(request.user).select_related(
            "category",
            "category__parent",
            "grid",
            "village",
            "micro_grid",
            "lead_department",
            "owner_user",
        ),
        number=number,
    )
    # A duplicate may lie across a grid line: name it only to those who may see it.
    related = _visible(request.user).in_bulk(
        [pk for pk in (case.likely_duplicate_of_id, case.duplicate_of_id) if pk]
    )
    now = timezone.now()
    actions = allowed_actions(request.user, case)
    forms = [
        (action, ACTION_LABELS[action], FORMS[action](case=case, initial={"version": case.version}))
        for action in actions
        if action in FORMS
    ]
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "light": sla.light_of(case, now),
            "likely_duplicate": related.get(case.likely_duplicate_of_id),
            "duplicate_of": related.get(case.duplicate_of_id),
            "milestones": _milestones(case, now),
            "events": case.events.select_related("actor").order_by("at", "id"),
            "attachments": case.attachments.all(),
            "departments": case.case_departments.select_related("department").filter(active=True),
            "forms": forms,
            "tile_url": _tile_url(),
        },
    )


def _tile_url() -> str:
    from django.conf import settings

    return settings.WANGGE_TILE_URL


@login_required
@require_POST
def act(request, number, action):
    case = get_object_or_404(_visible(request.user), number=number)
    form_class = FORMS.get(action)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, request.FILES, case=case)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}：{'；'.join(errors)}" if label else "；".join(errors))
        return redirect("cases:detail", number=number)
    # The version the person saw: if someone acted since, the lifecycle says so.
    case.version = form.cleaned_data["version"]
    try:
        form.run(request.user, action)
    except CaseError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS[action]})
    return redirect("cases:detail", number=number)


@login_required
@require_POST
def bulk_dispatch(request):
    """Dispatch several cases to one lead department at once."""
    numbers = request.POST.getlist("numbers")
    cases = list(_visible(request.user).filter(number__in=numbers))
    if not cases:
        messages.error(request, _("Choose at least one case."))
        return redirect("cases:queue")
    done, failed = 0, []
    for case in cases:
        form = DispatchForm(
            {"version": case.version, "lead": request.POST.get("lead"), "note": ""}, case=case
        )
        if not form.is_valid():
            failed.append(f"{case.number}：{_('choose a department')}")
            continue
        try:
            dispatch(case, request.user, lead=form.cleaned_data["lead"])
            done += 1
        except CaseError as error:
            failed.append(f"{case.number}：{error.message}")
    if done:
        messages.success(request, _("%(n)s cases dispatched.") % {"n": done})
    for line in failed:
        messages.error(request, line)
    return redirect(request.POST.get("next") or "cases:queue")


@login_required
def new(request):
    """Report a case from the field: GPS, camera, and a key that makes a retry harmless."""
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = intake.report(
                    actor=request.user,
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    channel=data["channel"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    address=data["address"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    photos=data["photos"],
                    idempotency_key=data["idempotency_key"],
                )
            except CaseError as error:
                form.add_error(
                    error.field if error.field in form.fields else None, str(error.message)
                )
            else:
                messages.success(request, _("Case %(n)s reported.") % {"n": case.number})
                return redirect("cases:detail", number=case.number)
    else:
        form = ReportForm()
    return render(request, "cases/new.html", {"form": form})


@login_required
def photo(request, number, pk, size="full"):
    case = get_object_or_404(_visible(request.user), number=number)
    attachment = get_object_or_404(Attachment, pk=pk, case=case)
    file = attachment.thumbnail if size == "thumb" and attachment.thumbnail else attachment.file
    return FileResponse(
        file.open("rb"), content_type="image/jpeg" if size == "thumb" else attachment.content_type
    )


@login_required
def notices(request):
    items = Notice.objects.filter(recipient=request.user).select_related("case")[:100]
    return render(request, "cases/notices.html", {"notices": items})


@login_required
@require_POST
def notices_read(request):
    Notice.objects.filter(recipient=request.user, read_at=None).update(read_at=timezone.now())
    return redirect("cases:notices")


@login_required
def notices_count(request):
    """The unread count, polled by htmx in the top bar."""
    count = notify.unread_count(request.user)
    return HttpResponse(str(count) if count else "")
