"""Personal data at rest: encryption, keyed lookup hashes and masks (DESIGN §7).

Values are encrypted with Fernet (AES-128-CBC + HMAC, from `cryptography`) under
WANGGE_FIELD_KEY; several comma-separated keys allow rotation (the first
encrypts, all decrypt). Lookups use an HMAC-SHA256 of the normalised value
under a separate, stable key (WANGGE_LOOKUP_KEY; by default derived from the
last — oldest — field key), so equal values can be found and kept unique
without decrypting anything, and rotating the field key changes no hash.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class PersonalDataKeyError(RuntimeError):
    """The stored value cannot be decrypted with the configured keys."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


@lru_cache(maxsize=4)
def _lookup_key(first_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"wangge lookup hash").derive(
        first_key.encode()
    )


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(tuple(settings.FIELD_KEYS)).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(tuple(settings.FIELD_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken:
        raise PersonalDataKeyError(
            "personal data cannot be decrypted with WANGGE_FIELD_KEY"
        ) from None


def lookup_hash(value: str) -> str:
    """Keyed hash of a normalised value ('' for an empty value)."""
    if not value:
        return ""
    key = _lookup_key(settings.LOOKUP_KEY or settings.FIELD_KEYS[-1])
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """4103**********1234: the province and prefecture, and the last four."""
    if not value:
        return ""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678 for a mobile; the area code and last four of a landline (0379-****3456)."""
    if not value:
        return ""
    if "-" in value:
        area, number = value.split("-", 1)
        return f"{area}-{'*' * max(len(number) - 4, 0)}{number[-4:]}"
    if len(value) <= 7:
        return "*" * (len(value) - 2) + value[-2:]
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
