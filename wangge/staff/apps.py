from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_groups(sender, **kwargs):
    from wangge.staff.services import sync_role_groups

    sync_role_groups()


class StaffConfig(AppConfig):
    name = "wangge.staff"
    verbose_name = _("Staff and roles")

    def ready(self):
        # Without a sender: the permissions of apps migrated after this one must exist.
        post_migrate.connect(_sync_groups, dispatch_uid="wangge.staff.sync_role_groups")
