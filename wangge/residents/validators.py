"""Validation of ID numbers (GB 11643) and phone numbers, with messages for people."""

import re
import unicodedata
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalise_id_number(value: str) -> str:
    # NFKC turns full-width digits and Ｘ typed with a Chinese input method into ASCII.
    return unicodedata.normalize("NFKC", value or "").strip().replace(" ", "").upper()


def validate_id_number(value: str, *, today: date | None = None) -> str:
    """Return the normalised 18-character ID number, or raise ValidationError.

    The checks run in the order a clerk would look: shape, birth date, region
    code, then the GB 11643 check digit, so the message names the real fault.
    """
    number = normalise_id_number(value)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(_("ID number must be 17 digits followed by a digit or X"))
    try:
        birth = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise ValidationError(_("ID number contains an impossible birth date")) from None
    if birth > (today or timezone.localdate()) or birth.year < 1880:
        raise ValidationError(_("ID number contains an impossible birth date"))
    if not region_known(number[:6]):
        raise ValidationError(_("ID number has an unknown region code"))
    if ric.calc_check_digit(number[:17]) != number[-1]:
        raise ValidationError(_("ID number check digit wrong"))
    return number


@lru_cache(maxsize=4096)
def region_known(prefix: str) -> bool:
    """Whether a 6-digit GB/T 2260 code names a county, whenever it was in use.

    An ID number keeps the code of where it was first issued, so a code is
    accepted whatever the birth year (stdnum's own check ties it to the year).
    """
    results = numdb.get("cn/loc").info(prefix)
    return any("county" in props for _part, props in results)


def gender_from_id_number(number: str) -> str:
    return "male" if int(number[16]) % 2 else "female"


def birth_date_from_id_number(number: str) -> date:
    return ric.get_birth_date(number)


def normalise_phone(value: str) -> str:
    value = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s()]", "", value).removeprefix("+86")


def validate_phone(value: str) -> str:
    """Return the normalised mobile or landline number, or raise ValidationError."""
    phone = normalise_phone(value)
    if MOBILE.fullmatch(phone) or LANDLINE.fullmatch(phone):
        return phone
    raise ValidationError(_("Phone number must be an 11-digit mobile or a landline with area code"))
