"""The outbox: notices waiting to go out through a channel, sent by the worker.

An entry is written in the same transaction as its notice, so a notice is
never lost. The worker claims due entries with one conditional UPDATE (a
lease: `next_attempt_at` moves past now and a claim token is set), so two
workers never take the same entry; the holder then sends and records the
result. A failure is retried with exponential backoff until
WANGGE_OUTBOX_MAX_ATTEMPTS, then the entry is marked failed for the admin.
A worker that dies between sending and recording lets its lease run out and
the entry is sent again with the same idempotency key, for the receiver to
drop as a copy.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from wangge.integrations import channels as channel_registry
from wangge.integrations.models import OutboxEntry, OutboxStatus

log = logging.getLogger("wangge.notices")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_attempts() -> int:
    return _setting("WANGGE_OUTBOX_MAX_ATTEMPTS", 8)


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: base × 2^(attempts−1), capped."""
    base = _setting("WANGGE_OUTBOX_BACKOFF_SECONDS", 30)
    cap = _setting("WANGGE_OUTBOX_MAX_BACKOFF_SECONDS", 3600)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def lease() -> timedelta:
    return timedelta(seconds=_setting("WANGGE_OUTBOX_LEASE_SECONDS", 120))


def enqueue(notices, now: datetime) -> int:
    """Outbox entries for these notices on every outbound channel that takes them."""
    outbound = channel_registry.outbox_channels()
    entries = [
        OutboxEntry(
            town_id=notice.town_id,
            notice=notice,
            channel=channel.name,
            created_at=now,
            next_attempt_at=now,
        )
        for notice in notices
        for channel in outbound
        if channel.accepts(notice)
    ]
    OutboxEntry.objects.bulk_create(entries, ignore_conflicts=True)
    return len(entries)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _lease_until(now: datetime) -> datetime:
    """The end of a lease taken now: from the wall clock, never from an earlier
    `now` (the sweep's start, which may be minutes old by the time it gets here)."""
    return max(now, timezone.now()) + lease()


def _claim(now: datetime, limit: int) -> list[OutboxEntry]:
    due = OutboxEntry.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
    ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    if not ids:
        return []
    token = uuid.uuid4().hex
    # Re-checked by the database row by row: an entry another worker has just
    # claimed no longer matches `next_attempt_at <= now`.
    due.filter(pk__in=ids).update(
        claim=token, next_attempt_at=_lease_until(now), attempts=F("attempts") + 1
    )
    return list(
        OutboxEntry.objects.filter(claim=token, status=OutboxStatus.PENDING).select_related(
            "notice__recipient", "notice__case", "notice__town"
        )
    )


def deliver_due(now: datetime, limit: int = 200) -> DeliveryReport:
    """Send the entries that are due. Returns what was sent, retried and given up.

    `now` decides what is due; every lease runs from the wall clock. Right
    before each send the claim is renewed with a conditional UPDATE: an entry
    whose lease ran out while earlier ones were sent, and which another worker
    has claimed since, is left to that worker. An entry counts as sent only when
    its final update still held the claim.
    """
    report = DeliveryReport()
    for entry in _claim(now, limit):
        mine = OutboxEntry.objects.filter(
            pk=entry.pk, claim=entry.claim, status=OutboxStatus.PENDING
        )
        if not mine.update(next_attempt_at=_lease_until(now)):
            continue  # lost to another worker
        channel = channel_registry.by_name(entry.channel)
        try:
            if channel is None:
                raise channel_registry.DeliveryError(f"channel {entry.channel!r} not configured")
            channel.send(entry.notice, entry.idempotency_key)
        except Exception as error:  # noqa: BLE001 - any failure of a channel is retried
            message = str(error) or type(error).__name__
            if entry.attempts >= max_attempts() or channel is None:
                if mine.update(status=OutboxStatus.FAILED, claim="", last_error=message[:2000]):
                    report.failed += 1
                    log.warning(
                        "notice %s via %s failed for good: %s",
                        entry.notice_id,
                        entry.channel,
                        message,
                    )
            elif mine.update(
                claim="",
                next_attempt_at=now + backoff(entry.attempts),
                last_error=message[:2000],
            ):
                report.retried += 1
            continue
        if mine.update(status=OutboxStatus.SENT, claim="", sent_at=now, last_error=""):
            report.sent += 1
    return report


def retry(entry_ids, now: datetime) -> int:
    """Put failed entries back in the queue (the admin's action)."""
    return OutboxEntry.objects.filter(pk__in=list(entry_ids), status=OutboxStatus.FAILED).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, claim=""
    )
