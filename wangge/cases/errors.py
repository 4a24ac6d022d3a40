"""What a refused case action raises. Messages are for people, in their language."""

from django.utils.translation import gettext_lazy as _


class CaseError(Exception):
    """Base of every refusal; `code` is stable for the API, `message` is for people."""

    code = "case_error"
    default_message = _("The action was refused.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(str(self.message))


class IllegalTransition(CaseError):
    code = "illegal_transition"
    default_message = _("This action is not possible in the case's present state.")


class NotAllowed(CaseError):
    code = "not_allowed"
    default_message = _("You may not do this on this case.")


class CaseNotFound(CaseError):
    """The case is outside the actor's scope: pages and API answer 404."""

    code = "not_found"
    default_message = _("No such case.")


class MissingInput(CaseError):
    code = "missing_input"
    default_message = _("Something required is missing.")


class InvalidInput(CaseError):
    code = "invalid_input"
    default_message = _("The input is not valid.")


class Conflict(CaseError):
    """Someone else changed the case first; reload and decide again."""

    code = "conflict"
    default_message = _("Someone else changed this case in the meantime. Reload it and try again.")


class IdempotencyMismatch(CaseError):
    code = "idempotency_mismatch"
    default_message = _("This Idempotency-Key was already used for a different report.")
