"""Actions on residents that need a permission and leave a trace."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from wangge.residents import pii
from wangge.residents.models import Resident, UnmaskField, UnmaskLog


def unmask(user, resident: Resident, field: str, reason: str = "") -> str:
    """Return the resident's ID number or phone in full, and log who saw it.

    Raises Http404 when the resident is outside the user's scope and
    PermissionDenied when the user lacks the unmask permission.
    """
    if not Resident.objects.visible_to(user).filter(pk=resident.pk).exists():
        raise Http404
    if not user.has_perm("residents.unmask_personal_data"):
        raise PermissionDenied(_("You may not see personal data in full."))
    token = {
        UnmaskField.ID_NUMBER: resident.id_number_encrypted,
        UnmaskField.PHONE: resident.phone_encrypted,
    }[UnmaskField(field)]
    with transaction.atomic():
        UnmaskLog.objects.create(
            town_id=resident.town_id, user=user, resident=resident, field=field, reason=reason
        )
    return pii.decrypt(token)
