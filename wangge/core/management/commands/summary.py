"""`wangge summary [--json]`: counts of everything in the database."""

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from rich.console import Console
from rich.table import Table

from wangge.core.summary import collect_summary


class Command(BaseCommand):
    help = "Count everything in the database (towns, grids, households, staff by role …)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args, as_json: bool = False, **options):
        data = collect_summary()
        if as_json:
            self.stdout.write(_dumps(data))
            return
        table = Table(title=_("wangge summary"))
        table.add_column(_("what"))
        table.add_column(_("count"), justify="right")
        for key, value in _flatten(data):
            table.add_row(key, str(value))
        Console(file=self.stdout, width=100).print(table)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _flatten(data, prefix=""):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
