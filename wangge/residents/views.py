from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.residents import services
from wangge.residents.models import Household, Resident, UnmaskField


@login_required
def household_list(request):
    households = (
        Household.objects.visible_to(request.user)
        .select_related("village", "grid", "hamlet")
        .prefetch_related("tags")
        .annotate(member_count=Count("members"))
        .order_by("number")
    )
    grid = request.GET.get("grid", "")
    if grid.isdigit():
        households = households.filter(grid_id=int(grid))
    query = request.GET.get("q", "").strip()
    if query:
        households = households.filter(
            Q(number__icontains=query) | Q(address__icontains=query) | Q(members__name=query)
        ).distinct()
    page = Paginator(households, 50).get_page(request.GET.get("page"))
    return render(
        request, "residents/household_list.html", {"page": page, "query": query, "grid": grid}
    )


@login_required
def household_detail(request, pk):
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related(
            "village", "grid", "micro_grid", "hamlet", "group", "served_by"
        ),
        pk=pk,
    )
    members = household.members.prefetch_related("tags").order_by("id")
    # The central household that serves this one may lie outside the viewer's scope.
    served_by = (
        Household.objects.visible_to(request.user).filter(pk=household.served_by_id).first()
        if household.served_by_id
        else None
    )
    return render(
        request,
        "residents/household_detail.html",
        {
            "household": household,
            "members": members,
            "served_by": served_by,
            "can_unmask": request.user.has_perm("residents.unmask_personal_data"),
        },
    )


@login_required
@require_POST
def unmask_view(request, pk, field):
    if field not in UnmaskField.values:
        raise Http404
    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=pk)
    value = services.unmask(request.user, resident, field, reason=request.POST.get("reason", ""))
    return render(
        request,
        "residents/unmasked.html",
        {"value": value, "label": _("shown in full; this view was logged")},
    )
