from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "wangge.staff"
    verbose_name = _("Staff and roles")
