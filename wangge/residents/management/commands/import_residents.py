"""`wangge import-residents FILE.xlsx|FILE.csv`: households and residents, all or nothing."""

import csv

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from wangge.residents.importer import ImportFileError, Plan, RowError, import_residents

# More errors than this go to --errors-out only.
SHOWN_ERRORS = 200


class _RichProgress:
    """The importer's progress, as a bar on a terminal and nothing elsewhere."""

    def __init__(self, console: Console):
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=True,
        )
        self.task = None

    def phase(self, description: str, total: int | None) -> None:
        if self.task is not None:
            self.bar.update(self.task, visible=False)
        self.task = self.bar.add_task(description, total=total)

    def advance(self, count: int = 1) -> None:
        self.bar.advance(self.task, count)


class Command(BaseCommand):
    help = (
        "Import households and residents from an Excel (.xlsx) or CSV file, one row per "
        "resident. Nothing is written if any row is bad, unless --skip-bad-rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="an .xlsx or .csv file (UTF-8 or GBK)")
        parser.add_argument("--sheet", help="the sheet to read (default: the first)")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--skip-bad-rows", action="store_true", help="write the good rows, report the bad"
        )
        parser.add_argument(
            "--move-residents",
            action="store_true",
            help="let a row move a known resident to another household",
        )
        parser.add_argument("--errors-out", metavar="FILE.csv", help="also write errors here")

    def handle(self, *args, **options):
        progress = _RichProgress(Console(stderr=True))
        try:
            with progress.bar:
                plan = import_residents(
                    options["file"],
                    sheet=options["sheet"],
                    dry_run=options["dry_run"],
                    skip_bad_rows=options["skip_bad_rows"],
                    move_residents=options["move_residents"],
                    progress=progress,
                )
        except ImportFileError as error:
            self._write_errors_file(options["errors_out"], [RowError(1, "", str(error))])
            raise CommandError(str(error)) from None
        except IntegrityError:
            raise CommandError(
                _("the database changed during the import; nothing was written, run it again")
            ) from None
        self._report_errors(plan, options["errors_out"])
        if plan.writable(skip_bad_rows=options["skip_bad_rows"]):
            if options["dry_run"]:
                self.stdout.write(_("Dry run: nothing was written. The import would give:"))
            self._report_counts(plan)
        else:
            if plan.good_rows == 0:
                raise CommandError(_("no row can be imported; nothing was written"))
            raise CommandError(
                _("%(count)s rows have errors; nothing was written") % {"count": len(plan.bad_rows)}
            )

    def _report_errors(self, plan: Plan, path: str | None) -> None:
        for error in plan.errors[:SHOWN_ERRORS]:
            self.stderr.write(str(error))
        hidden = len(plan.errors) - SHOWN_ERRORS
        if hidden > 0:
            self.stderr.write(_("… and %(count)s more errors") % {"count": hidden})
        self._write_errors_file(path, plan.errors)

    def _write_errors_file(self, path: str | None, errors: list[RowError]) -> None:
        if not path:
            return
        # With a BOM, so that Excel opens the Chinese text as UTF-8.
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "column", "message"])
            writer.writerows([e.row, e.column, e.message] for e in errors)

    def _report_counts(self, plan: Plan) -> None:
        self.stdout.write(
            _("households: %(new)s new, %(updated)s updated, %(same)s unchanged")
            % {
                "new": len(plan.new_households),
                "updated": len(plan.changed_households),
                "same": plan.unchanged_households,
            }
        )
        self.stdout.write(
            _("residents: %(new)s new, %(updated)s updated (%(moved)s moved), %(same)s unchanged")
            % {
                "new": len(plan.new_residents),
                "updated": len(plan.changed_residents),
                "moved": plan.moved_residents,
                "same": plan.unchanged_residents,
            }
        )
        if plan.bad_rows:
            self.stdout.write(
                _("%(bad)s of %(rows)s rows skipped because of errors")
                % {"bad": len(plan.bad_rows), "rows": plan.rows}
            )
