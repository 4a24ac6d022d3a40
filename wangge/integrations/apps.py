from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "wangge.integrations"
    verbose_name = _("Inbound alarms and outbound notices")
