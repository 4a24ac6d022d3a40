"""`wangge export-grids [-o FILE] [--village CODE] [--micro-grids]`: grids as GeoJSON."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wangge.grids.geojson_io import dumps, export_grids
from wangge.grids.models import Village


class Command(BaseCommand):
    help = "Write the grids as a GeoJSON FeatureCollection (WGS 84, UTF-8), for QGIS."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument("--village", metavar="CODE", help="only this village's grids")
        parser.add_argument(
            "--micro-grids",
            action="store_true",
            help='also write micro-grids, as features with level "micro_grid"',
        )

    def handle(self, *args, output, village, micro_grids, **options):
        if village is not None:
            code = village
            village = Village.objects.filter(code=code).first()
            if village is None:
                raise CommandError(_("village %(village)s is unknown") % {"village": code})
        collection = export_grids(village=village, micro_grids=micro_grids)
        text = dumps(collection)
        if not output:
            self.stdout.write(text, ending="")
            return
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        self.stdout.write(
            _("Wrote %(count)d features to %(file)s.")
            % {"count": len(collection["features"]), "file": output}
        )
