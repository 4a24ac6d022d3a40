"""What a refused points action raises. Messages are for people, in their language."""

from django.utils.translation import gettext_lazy as _


class PointsError(Exception):
    """Base of every refusal; `code` is stable for the API, `message` is for people."""

    code = "refused"
    default_message = _("The action was refused.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(str(self.message))


class NotFound(PointsError):
    """Outside the actor's scope: pages answer 404."""

    code = "not_found"
    default_message = _("Not found.")


class NotAllowed(PointsError):
    code = "not_allowed"
    default_message = _("You may not do this.")


class InvalidInput(PointsError):
    code = "invalid_input"
    default_message = _("The input is not valid.")


class Insufficient(PointsError):
    """Not enough points or not enough stock: nothing was changed."""

    code = "insufficient"


class Conflict(PointsError):
    code = "conflict"
    default_message = _("Someone else decided this in the meantime. Reload and try again.")
