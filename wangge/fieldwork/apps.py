from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "wangge.fieldwork"
    verbose_name = _("Door-knock visits, inspections and service stations")

    def ready(self):
        from wangge.grids.models import Place

        post_save.connect(_watch_new_place, sender=Place, dispatch_uid="fieldwork-watch-place")


def _watch_new_place(sender, instance, created, raw=False, **kwargs):
    """A new adit, venue or enterprise is watched from the start (seal intact for an adit)."""
    from wangge.fieldwork.models import WATCHED_KINDS, PlaceWatch, SealState

    if raw or instance.kind not in WATCHED_KINDS:
        return
    PlaceWatch.objects.get_or_create(
        place=instance,
        defaults={
            "town_id": instance.town_id,
            "seal_state": SealState.SEALED if instance.kind == "sealed_adit" else "",
        },
    )
