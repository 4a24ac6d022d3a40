"""Drop the cached locator whenever the grid map changes in this process."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wangge.grids import locator
from wangge.grids.models import Grid, MicroGrid


@receiver([post_save, post_delete], sender=Grid)
@receiver([post_save, post_delete], sender=MicroGrid)
def grid_map_changed(**kwargs):
    locator.invalidate()
    transaction.on_commit(locator.invalidate)
