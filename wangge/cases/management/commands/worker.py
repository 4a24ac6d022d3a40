"""`wangge worker`: the sweep in a loop (or once, for cron and tests); SIGTERM stops it cleanly."""

import logging
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from wangge.cases.worker import sweep
from wangge.dashboard.rollups import refresh_rollups

log = logging.getLogger("wangge.worker")

# The dashboard's daily roll-ups are refreshed this often (they stay exact in
# between: days changed since the last refresh are counted from the cases).
ROLLUP_SECONDS = 300


class Command(BaseCommand):
    help = (
        "Escalate overdue cases, warn at yellow, resume suspended cases, deliver notices, "
        "refresh the dashboard's daily roll-ups."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One sweep, then exit.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between sweeps.")
        parser.add_argument("--limit", type=int, default=1000, help="Cases per sweep at most.")

    def handle(self, *args, once, interval, limit, **options):
        stop = threading.Event()

        def on_signal(signum, frame):
            self.stdout.write("stopping after this sweep")
            stop.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
        rolled_at = None
        while True:
            report = sweep(limit=limit)
            busy = report.checked or report.delivered or report.sent or report.retried
            if busy or report.failed or once:
                self.stdout.write(str(report))
            if once or rolled_at is None or time.monotonic() - rolled_at > ROLLUP_SECONDS:
                rolled_at = time.monotonic()
                try:
                    days = refresh_rollups()
                except Exception:
                    # The roll-ups only speed the figures up (they are read raw
                    # meanwhile): escalations and notices must go on.
                    if once:
                        raise
                    log.exception("refreshing the dashboard's roll-ups failed; next try later")
                    days = 0
                if days:
                    self.stdout.write(f"roll-ups: {days} days recomputed")
            if once or stop.wait(interval):
                break
            # A long-running loop must not hold a dead or stale connection.
            close_old_connections()
