"""Who hears about a case event, and the in-app notices that tell them.

Notices are written in the same transaction as the event (so none is lost
when a process dies after the commit, and none exists for a step that was
undone). In-app delivery is the row itself: a notice is written already
marked delivered, so the commit that makes the event visible delivers it, and
no second statement follows. The worker still delivers any notice left
undelivered (e.g. written by an older version). Other
channels (signed webhook, SMS — `WANGGE_NOTICE_CHANNELS`, see
`wangge.integrations.channels`) get one outbox row per notice in the same
transaction, sent by the worker with retries (`wangge.integrations.outbox`).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.utils import timezone

from wangge.cases.models import Case, CaseEvent, Notice
from wangge.core import rows
from wangge.integrations import channels
from wangge.staff.models import Role, RoleAssignment, User

_local = threading.local()  # .memo while `remembering()`: recipients by filter


@contextmanager
def remembering():
    """Within the block, each set of recipients is looked up once (the worker's
    sweep: a thousand escalations to the same dispatchers are one query)."""
    outer = getattr(_local, "memo", None)
    _local.memo = {} if outer is None else outer
    try:
        yield
    finally:
        _local.memo = outer


def _users(role: str, lookup: str, value) -> set[int]:
    """Active users holding `role` where `lookup` (e.g. grid_id) is `value` (a list for `__in`)."""
    many = isinstance(value, list | tuple | set | frozenset)
    values = tuple(value) if many else (value,)
    _memo = getattr(_local, "memo", None)
    key = (role, lookup, values)
    if _memo is not None and key in _memo:
        return set(_memo[key])

    def build(*ids):
        wanted = {lookup: list(ids) if many else ids[0]}
        return RoleAssignment.objects.filter(user__is_active=True, role=role, **wanted).values_list(
            "user_id"
        )

    # Composed once per role, lookup and list length: every transition asks.
    statement = rows.prepare(
        ("recipients", role, lookup, many and len(values)), build, [int] * len(values)
    )
    users = {row[0] for row in statement.rows(*values)} if statement is not None else set()
    if _memo is not None:
        _memo[key] = frozenset(users)
    return users


def grid_workers(case: Case) -> set[int]:
    return _users(Role.GRID_WORKER, "grid_id", case.grid_id) if case.grid_id else set()


def grid_instructors(case: Case) -> set[int]:
    return _users(Role.GRID_INSTRUCTOR, "grid_id", case.grid_id) if case.grid_id else set()


def grid_leaders(case: Case) -> set[int]:
    return _users(Role.GRID_LEADER, "village_id", case.village_id) if case.village_id else set()


def police(case: Case) -> set[int]:
    if not case.village_id:
        return set()
    return _users(Role.POLICE, "beat__villages", case.village_id)


def dispatchers(case: Case) -> set[int]:
    return _users(Role.DISPATCHER, "town_id", case.town_id)


def leaders(case: Case) -> set[int]:
    return _users(Role.LEADER, "town_id", case.town_id)


def department_staff(department_ids) -> set[int]:
    return _users(Role.DEPARTMENT, "department_id__in", list(department_ids))


def owners(case: Case) -> set[int]:
    """Whoever holds the case now, by its state and level."""
    if case.owner_user_id:
        return {case.owner_user_id}
    if case.owner_department_id:
        return department_staff([case.owner_department_id])
    if case.level == "village":
        return grid_leaders(case)
    if case.level in ("town", "county"):
        return dispatchers(case) | (leaders(case) if case.level == "county" else set())
    return grid_workers(case)


def queue(case: Case, event: CaseEvent, recipients: set[int], kind: str, text: str) -> None:
    """Write one notice per recipient for this event (skipping the actor), delivered in-app
    by the same commit; one outbox entry per notice and outbound channel."""
    recipients = set(recipients) - {event.actor_id}
    if not recipients:
        return
    now = event.at
    delivered = timezone.now()
    rows.insert_many(
        [
            Notice(
                town_id=case.town_id,
                recipient_id=user_id,
                case=case,
                event=event,
                kind=kind,
                text=text[:300],
                created_at=now,
                delivered_at=delivered,
            )
            for user_id in sorted(recipients)
        ],
        ignore_conflicts=True,
    )
    if channels.outbox_channels():
        # Only with outbound channels configured: the in-app default adds no query.
        from wangge.integrations import outbox

        written = Notice.objects.filter(
            event=event, kind=kind, recipient_id__in=recipients
        ).select_related("recipient")
        outbox.enqueue(written, now)


def deliver_event(event_id: int) -> int:
    """In-app delivery of one event's notices that are not delivered yet."""
    return Notice.objects.filter(event_id=event_id, delivered_at=None).update(
        delivered_at=timezone.now()
    )


def deliver_pending(limit: int = 500) -> int:
    """Deliver undelivered notices (in-app: mark them delivered). Returns how many."""
    ids = list(
        Notice.objects.filter(delivered_at=None).order_by("id").values_list("id", flat=True)[:limit]
    )
    if not ids:
        return 0
    # A conditional update: a notice delivered by another process is not counted twice.
    return Notice.objects.filter(pk__in=ids, delivered_at=None).update(delivered_at=timezone.now())


def deliver_outbox(now=None, limit: int = 200):
    """Send due outbox entries through their channels (the worker calls this)."""
    from wangge.integrations import outbox

    return outbox.deliver_due(now or timezone.now(), limit=limit)


def unread_count(user: User) -> int:
    return Notice.objects.filter(recipient=user, read_at=None).count()
