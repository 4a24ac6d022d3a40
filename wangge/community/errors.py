"""What a refused community action (cadres, projects) raises. Messages are for people, in their language."""

from django.utils.translation import gettext_lazy as _


class CommunityError(Exception):
    """Base of every refusal; `code` is stable for the API, `message` is for people."""

    code = "refused"
    default_message = _("The action was refused.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(str(self.message))


class NotFound(CommunityError):
    """Outside the actor's scope: pages answer 404."""

    code = "not_found"
    default_message = _("Not found.")


class NotAllowed(CommunityError):
    code = "not_allowed"
    default_message = _("You may not do this.")


class InvalidInput(CommunityError):
    code = "invalid_input"
    default_message = _("The input is not valid.")
