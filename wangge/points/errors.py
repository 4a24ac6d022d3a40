"""What a refused points action raises: the common refusals, and two of its own."""

from django.utils.translation import gettext_lazy as _

from wangge.core.errors import InvalidInput, NotAllowed, NotFound
from wangge.core.errors import Refused as PointsError

__all__ = ["Conflict", "Insufficient", "InvalidInput", "NotAllowed", "NotFound", "PointsError"]


class Insufficient(PointsError):
    """Not enough points or not enough stock: nothing was changed."""

    code = "insufficient"


class Conflict(PointsError):
    code = "conflict"
    default_message = _("Someone else decided this in the meantime. Reload and try again.")
