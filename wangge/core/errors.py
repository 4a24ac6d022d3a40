"""What a refused action raises, in every app. Messages are for people, in their language.

Each app names its own refusals (`cases.errors`, `points.errors`, …) on this
base, so pages and the API answer them alike: `code` is stable for machines,
`message` is for people, `field` names the input at fault.
"""

from django.utils.translation import gettext_lazy as _


class Refused(Exception):
    """Base of every refusal."""

    code = "refused"
    default_message = _("The action was refused.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(str(self.message))


class NotFound(Refused):
    """Outside the actor's scope: pages answer 404."""

    code = "not_found"
    default_message = _("Not found.")


class NotAllowed(Refused):
    code = "not_allowed"
    default_message = _("You may not do this.")


class InvalidInput(Refused):
    code = "invalid_input"
    default_message = _("The input is not valid.")
