from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def create_cache_table(sender, using="default", **kwargs):
    """The shared cache lives in the database; `migrate` makes its table too."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "wangge.core"
    verbose_name = _("Core")

    def ready(self):
        # This app has no models, so it gets no post_migrate of its own.
        post_migrate.connect(create_cache_table, dispatch_uid="wangge.core.create_cache_table")
