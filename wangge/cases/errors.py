"""What a refused case action raises. Messages are for people, in their language."""

from django.utils.translation import gettext_lazy as _

from wangge.core.errors import Refused


class CaseError(Refused):
    """Base of every refusal of a case action (see `core.errors`)."""

    code = "case_error"


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
