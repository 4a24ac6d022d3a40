"""Points pages: households and balances, a household's ledger, the supermarket
counter, approvals, star ratings and 最美家庭, the leaderboard. Thin: parse,
authorise, call one service, respond."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.numbers import MAX_INT, object_id, whole_number
from wangge.grids.models import Village
from wangge.points import services
from wangge.points.errors import NotFound, PointsError
from wangge.points.models import (
    AwardProposal,
    FamilyNomination,
    Good,
    PointEntry,
    PointRule,
    ProposalStatus,
    StarRating,
)
from wangge.residents.models import Household


def _need(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _refused(request, error: PointsError):
    if isinstance(error, NotFound):
        raise Http404(str(error.message))
    messages.error(request, error.message)


# The largest integer both SQLite and PostgreSQL (integer columns) take.
def _int(value, default=None):
    """value as a whole number a column can hold, else default (core.numbers)."""
    number = whole_number(value)
    return number if number is not None and -MAX_INT <= number <= MAX_INT else default


_id = object_id


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return False


def _villages(user):
    return Village.objects.visible_to(user).order_by("code")


@login_required
def index(request):
    _need(request, "points.view_pointaccount")
    households = (
        Household.objects.visible_to(request.user)
        .select_related("village", "grid")
        .annotate(balance=Coalesce("point_account__balance", Value(0)))
        .order_by("-balance", "number")
    )
    village = _id(request.GET.get("village"))
    if village:
        households = households.filter(village_id=village)
    query = request.GET.get("q", "").strip()
    if query:
        households = households.filter(Q(number__icontains=query) | Q(address__icontains=query))
    page = Paginator(households, 50).get_page(request.GET.get("page"))
    pending = AwardProposal.objects.visible_to(request.user).filter(status=ProposalStatus.PENDING)
    return render(
        request,
        "points/index.html",
        {
            "page": page,
            "query": query,
            "village": village,
            "villages": _villages(request.user),
            "pending": pending.count(),
        },
    )


@login_required
def household(request, pk):
    _need(request, "points.view_pointentry")
    h = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("village", "grid"), pk=pk
    )
    entries = (
        PointEntry.objects.filter(household=h)
        .select_related("rule", "proposed_by", "approved_by")
        .order_by("-occurred_on", "-id")[:100]
    )
    return render(
        request,
        "points/household.html",
        {
            "household": h,
            "balance": services.balance_of(h),
            "entries": entries,
            "proposals": AwardProposal.objects.filter(household=h).select_related("rule")[:20],
            "rules": PointRule.objects.filter(village=h.village, active=True),
            "goods": Good.objects.filter(village=h.village, active=True, stock__gt=0),
            "limits": services.thresholds(h.village),
            "today": timezone.localdate().isoformat(),
            "can_record": request.user.has_perm("points.add_pointentry"),
            "can_redeem": request.user.has_perm("points.add_redemption"),
        },
    )


@login_required
@require_POST
def record(request, pk):
    h = get_object_or_404(Household.objects.visible_to(request.user), pk=pk)
    rule = PointRule.objects.filter(pk=_int(request.POST.get("rule"), 0), village=h.village).first()
    occurred_on = _date(request.POST.get("occurred_on"))
    if rule is None:
        messages.error(request, _("Choose one of the village's rules."))
    elif occurred_on is False:
        messages.error(request, _("The date is not valid."))
    else:
        try:
            result = services.record(
                request.user,
                h,
                rule,
                occurred_on=occurred_on,
                note=request.POST.get("note", ""),
                evidence=request.FILES.get("evidence"),
            )
        except PointsError as error:
            _refused(request, error)
        else:
            if isinstance(result, AwardProposal):
                messages.success(request, _("The award waits for a second person's approval."))
            else:
                messages.success(
                    request, _("Recorded: %(points)+d points.") % {"points": result.points}
                )
    return redirect("points:household", pk=h.pk)


_PHOTO_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def _evidence_response(item):
    """The row's evidence photo, or 404 when it has none (or the file is gone)."""
    if not item.evidence:
        raise Http404
    try:
        handle = item.evidence.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    extension = item.evidence_name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        handle, content_type=_PHOTO_TYPES.get(extension, "application/octet-stream")
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def entry_evidence(request, pk):
    """A ledger line's photo, only when the line is in the user's area (else 404).

    Photos are never served from /media/: that would show every village's."""
    _need(request, "points.view_pointentry")
    entry = get_object_or_404(PointEntry.objects.visible_to(request.user), pk=pk)
    return _evidence_response(entry)


@login_required
def proposal_evidence(request, pk):
    """A proposed award's photo, only when the proposal is in the user's area (else 404)."""
    _need(request, "points.view_awardproposal")
    proposal = get_object_or_404(AwardProposal.objects.visible_to(request.user), pk=pk)
    return _evidence_response(proposal)


@login_required
def shop(request):
    _need(request, "points.view_good")
    villages = _villages(request.user)
    village = _id(request.GET.get("village")) or (
        Household.objects.visible_to(request.user).values_list("village_id", flat=True).first()
    )
    goods = Good.objects.visible_to(request.user).filter(village_id=village)
    recent = (
        request.user.has_perm("points.view_redemption")
        and PointEntry.objects.visible_to(request.user)
        .filter(village_id=village, kind="redemption")
        .select_related("household")[:20]
    )
    return render(
        request,
        "points/shop.html",
        {
            "villages": villages,
            "village": village,
            "goods": goods,
            "recent": recent or [],
            "can_redeem": request.user.has_perm("points.add_redemption"),
            "can_restock": request.user.has_perm("points.change_good"),
            "household_number": request.GET.get("household", ""),
        },
    )


@login_required
@require_POST
def redeem(request):
    number = request.POST.get("household", "").strip()
    good = (
        Good.objects.visible_to(request.user).filter(pk=_int(request.POST.get("good"), 0)).first()
    )
    back = reverse("points:shop") + f"?village={good.village_id if good else ''}"
    h = Household.objects.visible_to(request.user).filter(number=number).first()
    quantity = _int(request.POST.get("quantity"), 0)
    if good is None:
        messages.error(request, _("Choose a good."))
    elif h is None:
        messages.error(
            request, _("No household numbered “%(number)s” in your area.") % {"number": number}
        )
    else:
        try:
            redemption = services.redeem(request.user, h, good, quantity)
        except PointsError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _(
                    "Handed out %(good)s × %(quantity)s to household %(number)s for "
                    "%(points)s points; %(balance)s points left."
                )
                % {
                    "good": good.name,
                    "quantity": redemption.quantity,
                    "number": h.number,
                    "points": redemption.points,
                    "balance": services.balance_of(h),
                },
            )
    return redirect(back)


@login_required
@require_POST
def restock(request, pk):
    good = get_object_or_404(Good.objects.visible_to(request.user), pk=pk)
    try:
        services.restock(request.user, good, _int(request.POST.get("quantity"), 0))
    except PointsError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Stock of %(name)s is now %(stock)s.") % {"name": good.name, "stock": good.stock},
        )
    return redirect(reverse("points:shop") + f"?village={good.village_id}")


@login_required
def approvals(request):
    _need(request, "points.view_awardproposal")
    proposals = (
        AwardProposal.objects.visible_to(request.user)
        .select_related("household", "rule", "proposed_by", "decided_by")
        .order_by("status", "-proposed_at")
    )
    return render(
        request,
        "points/approvals.html",
        {
            "pending": [p for p in proposals if p.status == ProposalStatus.PENDING],
            "decided": [p for p in proposals[:200] if p.status != ProposalStatus.PENDING][:30],
            "can_decide": request.user.has_perm("points.approve_awardproposal"),
        },
    )


@login_required
@require_POST
def decide(request, pk):
    proposal = get_object_or_404(AwardProposal.objects.visible_to(request.user), pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide(request.user, proposal, approve=approve, note=request.POST.get("note", ""))
    except PointsError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Approved.") if approve else _("Rejected."))
    return redirect("points:approvals")


@login_required
def ratings(request):
    _need(request, "points.view_starrating")
    this_year = timezone.localdate().year
    year = _int(request.GET.get("year"), this_year)
    villages = _villages(request.user)
    village = _id(request.GET.get("village"))
    stars = StarRating.objects.visible_to(request.user).filter(year=year)
    nominations = FamilyNomination.objects.visible_to(request.user).filter(year=year)
    if village:
        stars = stars.filter(village_id=village)
        nominations = nominations.filter(village_id=village)
    counts = dict(stars.values("stars").annotate(n=Count("id")).values_list("stars", "n"))
    return render(
        request,
        "points/ratings.html",
        {
            "year": year,
            "years": range(this_year, this_year - 4, -1),
            "villages": villages,
            "village": village,
            "counts": [(n, counts.get(n, 0)) for n in range(5, 0, -1)],
            "top": stars.filter(stars__gte=4).select_related("household", "village")[:100],
            "nominations": nominations.select_related("household", "village", "nominated_by"),
            "can_rate": request.user.has_perm("points.add_starrating"),
            "can_nominate": request.user.has_perm("points.add_familynomination"),
            "can_select": request.user.has_perm("points.select_familynomination"),
        },
    )


@login_required
@require_POST
def rate(request):
    village = get_object_or_404(_villages(request.user), pk=_int(request.POST.get("village"), 0))
    year = _int(request.POST.get("year"), 0)
    try:
        n = services.rate_year(request.user, village, year)
    except PointsError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("%(n)s households of %(village)s rated for %(year)s.")
            % {"n": n, "village": village.name, "year": year},
        )
    return redirect(reverse("points:ratings") + f"?year={year}&village={village.pk}")


@login_required
@require_POST
def nominate(request):
    year = _int(request.POST.get("year"), 0)
    number = request.POST.get("household", "").strip()
    h = Household.objects.visible_to(request.user).filter(number=number).first()
    if h is None:
        messages.error(
            request, _("No household numbered “%(number)s” in your area.") % {"number": number}
        )
    else:
        try:
            services.nominate(request.user, h, year, request.POST.get("reason", ""))
        except PointsError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Household %(number)s nominated.") % {"number": h.number})
    return redirect(reverse("points:ratings") + f"?year={year}")


@login_required
@require_POST
def select(request, pk):
    nomination = get_object_or_404(FamilyNomination.objects.visible_to(request.user), pk=pk)
    try:
        services.select_family(
            request.user, nomination, selected=request.POST.get("decision") == "select"
        )
    except PointsError as error:
        _refused(request, error)
    return redirect(reverse("points:ratings") + f"?year={nomination.year}")


@login_required
def leaderboard(request):
    _need(request, "points.view_pointentry")
    from wangge.dashboard.metrics import Period, Scope
    from wangge.dashboard.metrics.community import points_leaderboard, top_households

    this_year = timezone.localdate().year
    year = _int(request.GET.get("year"), this_year)
    try:
        period = Period.parse(str(year))
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("points:leaderboard")
    town = request.user.town
    board = {"villages": [], "households": []}
    if town is not None:
        board = points_leaderboard(Scope("town", town.pk, town.name, town.pk), period, limit=0)
        board["households"] = top_households(PointEntry.objects.visible_to(request.user), period)
    return render(
        request,
        "points/leaderboard.html",
        {"board": board, "year": year, "years": range(this_year, this_year - 4, -1)},
    )
