from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def install_reference_data(sender, **kwargs):
    """The default deadline policies and the starter catalogue, after every migrate
    (and after a flush): only what is missing is added, nothing edited is touched."""
    from wangge.cases.catalogue import install_catalogue
    from wangge.cases.sla import install_default_policies

    install_default_policies()
    install_catalogue()


class CasesConfig(AppConfig):
    name = "wangge.cases"
    verbose_name = _("Cases")

    def ready(self):
        post_migrate.connect(install_reference_data, sender=self)
