from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "wangge.grids"
    verbose_name = _("Grids and places")

    def ready(self):
        from wangge.grids import signals  # noqa: F401
