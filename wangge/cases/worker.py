"""The worker's sweep: warnings at yellow, escalation or urging when overdue,
resuming suspended cases on time, and delivering notices (in-app, then the
outbox of the other channels).

Cases to look at carry `next_check_at <= now` (a partial index). Each case
is handled in its own transaction with its row locked — `SKIP LOCKED` on
PostgreSQL, so two workers share the work; SQLite serialises writers — and is
re-checked under the lock, so a case another worker just handled is skipped:
running twice, or two workers at once, never escalates twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext as _

from wangge.cases import clock, lifecycle, notify, sla
from wangge.cases.choices import Level, Milestone, State
from wangge.cases.errors import CaseError
from wangge.cases.models import Case
from wangge.cases.rules import SYSTEM
from wangge.core import rows

log = logging.getLogger("wangge.worker")


@dataclass
class SweepReport:
    checked: int = 0
    warned: int = 0
    escalated: int = 0
    urged: int = 0
    resumed: int = 0
    delivered: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self):
        return (
            f"checked {self.checked}, warned {self.warned}, escalated {self.escalated}, "
            f"urged {self.urged}, resumed {self.resumed}, notices delivered {self.delivered}, "
            f"sent {self.sent}, retried {self.retried}, failed {self.failed}"
        )


def due_case_ids(now: datetime, limit: int) -> list[int]:
    return list(
        Case.objects.filter(next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("id", flat=True)[:limit]
    )


def sweep(now: datetime | None = None, limit: int = 1000) -> SweepReport:
    """One pass over the cases that need attention, then the notices."""
    now = now or clock.now()
    report = SweepReport()
    with notify.remembering():  # the same recipients are looked up once per sweep
        for case_id in due_case_ids(now, limit):
            try:
                handle_case(case_id, now, report)
            except CaseError as error:
                # A case another actor moved meanwhile: the next sweep sees its new plan.
                report.errors.append(f"{case_id}: {error}")
    report.delivered = notify.deliver_pending()
    outbound = notify.deliver_outbox(now)
    report.sent, report.retried, report.failed = outbound.sent, outbound.retried, outbound.failed
    return report


def _claim(case_id: int, now: datetime) -> Case | None:
    """The case, locked, if it is still due (another worker may have handled it)."""
    if not connection.in_atomic_block:  # Django checks this only when composing
        raise TransactionManagementError("A case is claimed only inside a transaction.")

    def build(case_id, now):
        # No joins and no ordering: the category and policies come from the process cache.
        queryset = Case.objects.filter(pk=case_id, next_check_at__lte=now).order_by()
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True, of=("self",))
        return queryset

    case = rows.prepare("claim due case", build, [int, datetime]).first(case_id, now)
    # Locked (or, on SQLite, the only writer) until this transaction ends: the
    # transitions below use the row in hand instead of reading it again.
    return lifecycle.hold(case) if case is not None else None


def handle_case(case_id: int, now: datetime, report: SweepReport) -> None:
    with transaction.atomic():
        case = _claim(case_id, now)
        if case is None:
            return
        report.checked += 1
        acted = False
        if case.state == State.SUSPENDED:
            if case.resume_at and case.resume_at <= now:
                lifecycle.resume(case, SYSTEM, note=_("Resumed on time."), now=now)
                report.resumed += 1
                acted = True
        else:
            for milestone in sla.open_milestones(case):
                flag = case.sla_flags.get(milestone.milestone)
                if now >= milestone.due_at and flag != "overdue":
                    _overdue(case, milestone.milestone, now, report)
                    acted = True
                    break  # the case changed; its next check is planned afresh
                if flag is None and now >= sla.warn_at(case, milestone):
                    lifecycle.warn(case, milestone=milestone.milestone, now=now)
                    report.warned += 1
                    acted = True
            if not acted:
                acted = _summoned_overdue(case, now, report)
        if not acted:
            # Nothing due after all (e.g. a plan made before an edit): plan again.
            lifecycle._plan_checks(case, now)
            Case.objects.filter(pk=case.pk).update(next_check_at=case.next_check_at)


def _overdue(case: Case, milestone: str, now: datetime, report: SweepReport) -> None:
    """Escalate one level where the case is still with the grid or village; else urge."""
    note = _("Overdue: %(m)s deadline passed.") % {"m": Milestone(milestone).label}
    grid_held = case.state in (State.REPORTED, State.ACCEPTED) and case.level in (
        Level.GROUP,
        Level.VILLAGE,
    )
    town_waiting = milestone in (Milestone.ACCEPT, Milestone.DISPATCH) and case.level == Level.TOWN
    if (milestone in (Milestone.ACCEPT, Milestone.RESOLVE) and grid_held) or town_waiting:
        lifecycle.escalate(case, SYSTEM, reason=note, now=now)
        report.escalated += 1
    else:
        lifecycle.urge(case, SYSTEM, note=note, milestone=milestone, now=now)
        report.urged += 1


def _summoned_overdue(case: Case, now: datetime, report: SweepReport) -> bool:
    late = case.case_departments.filter(
        role="summoned", active=True, checked_in_at=None, checkin_due_at__lte=now
    ).select_related("department")
    for link in late:
        key = f"checkin:{link.department_id}"
        if key in case.sla_flags:
            continue
        lifecycle.urge(
            case,
            SYSTEM,
            note=_("%(d)s has not checked in.") % {"d": link.department.name},
            milestone=key,
            now=now,
        )
        report.urged += 1
        return True
    return False
