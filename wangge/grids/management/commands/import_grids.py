"""`wangge import-grids FILE.geojson [--dry-run]`: create or update grids from QGIS."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wangge.grids.geojson_io import GridImportError, import_grids, read_geojson


class Command(BaseCommand):
    help = (
        "Create or update grids from a GeoJSON FeatureCollection in WGS 84 "
        "(see docs/import-formats.md). Nothing is written unless every feature is good."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="GeoJSON file, one feature per grid")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )

    def handle(self, *args, file, dry_run, **options):
        try:
            result = import_grids(read_geojson(file), dry_run=dry_run)
        except GridImportError as e:
            heading = ngettext(
                "%(count)d problem; nothing was imported:",
                "%(count)d problems; nothing was imported:",
                len(e.errors),
            ) % {"count": len(e.errors)}
            raise CommandError("\n".join([heading, *e.errors])) from e
        counts = {"created": result.created, "updated": result.updated}
        if result.dry_run:
            self.stdout.write(
                _("Dry run, nothing written: %(created)d grids to create, %(updated)d to update.")
                % counts
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Grids: %(created)d created, %(updated)d updated.") % counts)
            )
        if result.skipped:
            self.stdout.write(
                ngettext(
                    "%(count)d micro-grid feature skipped (micro-grids are not imported).",
                    "%(count)d micro-grid features skipped (micro-grids are not imported).",
                    result.skipped,
                )
                % {"count": result.skipped}
            )
