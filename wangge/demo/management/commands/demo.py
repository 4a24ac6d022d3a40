"""`wangge demo`: build the demo town 德亭镇 (synthetic data) and serve it."""

import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from wangge.cases.models import Case
from wangge.demo.build import STEPS, build_demo, demo_counts, demo_town, reset_database
from wangge.demo.cases import build_cases, year_figures
from wangge.demo.logins import DEMO_PASSWORD, demo_logins
from wangge.demo.more import BUILDERS, build_more, built


class Command(BaseCommand):
    help = "Build the demo town 德亭镇 (synthetic data), list its logins and serve it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-serve", action="store_true", help="Build and list the logins, then stop."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Seed of the synthetic town (default 1)."
        )
        parser.add_argument(
            "--fresh", action="store_true", help="Delete ALL data first, then build."
        )
        parser.add_argument("--host", default="127.0.0.1", help="Serve on this address.")
        parser.add_argument("--port", type=int, default=8000, help="Serve on this port.")

    def handle(self, *args, no_serve, seed, fresh, host, port, **options):
        console = Console(file=self.stdout, highlight=False)
        call_command("migrate", interactive=False, verbosity=0)
        if fresh:
            console.print(_("Deleting all data (--fresh) …"))
            reset_database()
        town = demo_town()
        if town is not None:
            console.print(
                _("The demo town %(name)s exists; reusing it (--fresh rebuilds it).")
                % {"name": town.name}
            )
        else:
            town = self._build(console, seed)
        more = None
        if not Case.objects.filter(town=town).exists():
            self._build_cases(console, town, seed)
        if not built(town):
            more = self._build_more(console, town, seed)
        console.print(self._counts_table(town))
        console.print(self._cases_table(town))
        if more:
            console.print(self._rows_table(_("Field work, points and community"), more))
        console.print(self._logins_table())
        if no_serve:
            return
        console.print(
            _("Open http://%(host)s:%(port)s/ and sign in with one of the logins above.")
            % {"host": host, "port": port}
        )
        # The worker runs beside the web app, as in production: deadlines
        # pass, cases escalate and notices arrive while the demo is open.
        worker = subprocess.Popen([sys.executable, "-m", "wangge", "worker"])
        try:
            call_command("serve", host=host, port=port)
        finally:
            worker.terminate()
            worker.wait(timeout=15)

    def _build_cases(self, console, town, seed):
        started = time.monotonic()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(_("A year of cases, through the lifecycle"), total=None)

            def on_case(done, total):
                progress.update(task, completed=done, total=total)

            build_cases(town, seed=seed, now=timezone.now(), progress=on_case)
        console.print(
            _("Built a year of cases in %(seconds).1f s.") % {"seconds": time.monotonic() - started}
        )

    def _build_more(self, console, town, seed):
        started = time.monotonic()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("", total=len(BUILDERS))

            def on_step(index, label):
                progress.update(task, completed=index, description=label)

            rows = build_more(town, seed=seed, now=timezone.now(), on_step=on_step)
        console.print(
            _("Built field work, points and community in %(seconds).1f s.")
            % {"seconds": time.monotonic() - started}
        )
        return rows

    def _rows_table(self, title, rows):
        table = Table(title=title)
        table.add_column(_("what"))
        table.add_column(_("built"), justify="right")
        table.add_column(_("brief"), justify="right")
        for label, count, brief in rows:
            table.add_row(str(label), str(count), "" if brief is None else str(brief))
        return table

    def _cases_table(self, town):
        table = Table(title=_("The last twelve months of cases"))
        table.add_column(_("what"))
        table.add_column(_("built"), justify="right")
        table.add_column(_("brief"), justify="right")
        for label, count, brief in year_figures(town, timezone.now()):
            table.add_row(str(label), str(count), str(brief))
        return table

    def _build(self, console, seed):
        started = time.monotonic()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(_("Building the demo town"), total=len(STEPS))

            def on_step(index, label):
                progress.update(task, completed=index, description=str(label))

            town = build_demo(seed=seed, on_step=on_step)
            progress.update(task, completed=len(STEPS), description=_("Built"))
        console.print(
            _("Built the demo town %(name)s (seed %(seed)s) in %(seconds).1f s.")
            % {"name": town.name, "seed": seed, "seconds": time.monotonic() - started}
        )
        return town

    def _counts_table(self, town):
        table = Table(title=_("%(name)s — synthetic demo data") % {"name": town.name})
        table.add_column(_("what"))
        table.add_column(_("built"), justify="right")
        table.add_column(_("brief"), justify="right")
        for label, count, brief in demo_counts(town):
            table.add_row(str(label), str(count), brief)
        return table

    def _logins_table(self):
        table = Table(title=_("Demo logins (password: %(pw)s)") % {"pw": DEMO_PASSWORD})
        for column in (_("role"), _("username"), _("name"), _("responsible for")):
            table.add_column(column)
        for login in demo_logins():
            table.add_row(
                login["role_label"], login["username"], login["name"], login["responsibility"]
            )
        return table
