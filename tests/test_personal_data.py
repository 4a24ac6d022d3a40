"""Personal data (DESIGN §7): ID numbers checked, stored encrypted, found by keyed hash,
shown masked, and shown in full only with a permission that leaves a log entry."""

import datetime
import hashlib

import pytest
from conftest import ID_NUMBERS, grant
from cryptography.fernet import Fernet
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from stdnum.cn import ric

from wangge.residents import pii
from wangge.residents.models import Resident, UnmaskLog
from wangge.residents.services import unmask
from wangge.residents.validators import validate_id_number
from wangge.staff.models import User


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def with_check_digit(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17)


def ending_in_x() -> str:
    """A valid ID number whose check digit is X."""
    return next(
        with_check_digit(f"41032519900101{n:03d}")
        for n in range(1000)
        if ric.calc_check_digit(f"41032519900101{n:03d}") == "X"
    )


@pytest.fixture
def fresh_keys(settings):
    """Two new field keys; the settings fixture restores the real ones afterwards."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_KEYS = [old]
    return old, new


# --- ID numbers (GB 11643) -------------------------------------------------------------


def test_a_valid_id_number_passes():
    assert validate_id_number(ID_NUMBERS[0]) == ID_NUMBERS[0]


@pytest.mark.parametrize(
    "number, message",
    [
        (ID_NUMBERS[0][:17] + "9", "ID number check digit wrong"),
        (with_check_digit("41032519900230001"), "ID number contains an impossible birth date"),
        (with_check_digit("41032519901301001"), "ID number contains an impossible birth date"),
        (with_check_digit("99032519900101001"), "ID number has an unknown region code"),
        (ID_NUMBERS[0][:17], "ID number must be 17 digits followed by a digit or X"),
        (ID_NUMBERS[0] + "1", "ID number must be 17 digits followed by a digit or X"),
        ("41032519900101001A", "ID number must be 17 digits followed by a digit or X"),
        ("", "ID number must be 17 digits followed by a digit or X"),
    ],
    ids=[
        "check digit",
        "30 February",
        "month 13",
        "region 990325",
        "17 characters",
        "19 characters",
        "letter",
        "empty",
    ],
)
def test_a_wrong_id_number_is_refused_with_its_fault(number, message):
    with pytest.raises(ValidationError) as error:
        validate_id_number(number)
    assert error.value.messages == [message]


def test_a_birth_date_in_the_future_is_impossible():
    number = with_check_digit("41032520300101001")
    with pytest.raises(ValidationError, match="impossible birth date"):
        validate_id_number(number)
    assert validate_id_number(number, today=datetime.date(2030, 1, 1)) == number


def test_lower_case_x_and_spaces_are_accepted_and_normalised():
    number = ending_in_x()
    assert validate_id_number(f" {number[:6]} {number[6:].lower()} ") == number


def test_set_id_number_derives_gender_and_birth_date(town):
    resident = Resident.objects.get(pk=town.r_a1e.pk)
    assert resident.gender == "female"  # 17th digit 2: even
    assert resident.birth_date == datetime.date(1970, 1, 1)
    assert town.r_a1w.gender == "male"


# --- Encryption at rest ----------------------------------------------------------------


def raw_row(resident) -> str:
    """Everything the database holds for a resident, as one string."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {Resident._meta.db_table} WHERE id = %s",
            [resident.pk],
        )
        return " ".join(str(value) for value in cursor.fetchone())


def test_no_plaintext_id_number_or_phone_in_the_database(town):
    stored = raw_row(town.r_a1w)
    assert ID_NUMBERS[0] not in stored
    assert ID_NUMBERS[0][6:14] not in stored  # not even the birth date part
    assert "13837900001" not in stored and "37900001" not in stored
    assert "4103**********0017" in stored  # the mask is all that shows


def test_encrypted_values_decrypt_to_the_original(town):
    resident = Resident.objects.get(pk=town.r_a1w.pk)
    assert pii.decrypt(resident.id_number_encrypted) == ID_NUMBERS[0]
    assert pii.decrypt(resident.phone_encrypted) == "13837900001"
    assert pii.encrypt("") == "" and pii.decrypt("") == ""


def test_the_same_value_encrypts_differently_each_time():
    assert pii.encrypt(ID_NUMBERS[0]) != pii.encrypt(ID_NUMBERS[0])


def test_a_different_key_cannot_decrypt(settings, town):
    token = Resident.objects.get(pk=town.r_a1w.pk).id_number_encrypted
    settings.FIELD_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(pii.PersonalDataKeyError):
        pii.decrypt(token)


def test_key_rotation_still_decrypts_values_under_the_old_key(settings, fresh_keys):
    old, new = fresh_keys
    token = pii.encrypt(ID_NUMBERS[0])

    # pii caches its Fernet per tuple of keys, so a new key list needs no cache clearing.
    settings.FIELD_KEYS = [new, old]
    assert pii.decrypt(token) == ID_NUMBERS[0]
    fresh_token = pii.encrypt(ID_NUMBERS[0])

    settings.FIELD_KEYS = [new]
    assert pii.decrypt(fresh_token) == ID_NUMBERS[0]
    with pytest.raises(pii.PersonalDataKeyError):
        pii.decrypt(token)


def test_key_rotation_keeps_residents_findable_by_id_number(settings, town):
    settings.FIELD_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_KEYS]
    assert Resident.objects.with_id_number(ID_NUMBERS[0]).get() == town.r_a1w


def test_an_explicit_lookup_key_decides_the_hashes(settings, town):
    before = pii.lookup_hash(ID_NUMBERS[0])
    settings.LOOKUP_KEY = "a-separate-lookup-secret"
    assert pii.lookup_hash(ID_NUMBERS[0]) != before


def test_full_width_input_and_spaced_phones_are_normalised(town):
    full_width = "４１０３２５１９６５０３１２００１７"
    assert Resident.objects.with_id_number(full_width).get() == town.r_a1w
    assert Resident.objects.with_phone("+86 138 3790 0002").get() == town.r_a1e


# --- Keyed-hash lookup ------------------------------------------------------------------


def test_a_resident_is_found_by_id_number(town):
    assert Resident.objects.with_id_number(ID_NUMBERS[0]).get() == town.r_a1w
    assert Resident.objects.with_id_number(ID_NUMBERS[0].lower() + " ").get() == town.r_a1w
    assert not Resident.objects.with_id_number(ID_NUMBERS[5]).exists()


def test_a_resident_is_found_by_phone(town):
    assert Resident.objects.with_phone("13837900002").get() == town.r_a1e


def test_the_lookup_hash_is_keyed_not_a_plain_digest(settings, fresh_keys):
    old, new = fresh_keys
    digest = pii.lookup_hash(ID_NUMBERS[0])
    assert digest != hashlib.sha256(ID_NUMBERS[0].encode()).hexdigest()
    assert digest == pii.lookup_hash(ID_NUMBERS[0])

    settings.FIELD_KEYS = [new]  # a different (oldest) key derives a different lookup key
    assert pii.lookup_hash(ID_NUMBERS[0]) != digest


# --- Masks ----------------------------------------------------------------------------


def test_masks_keep_only_what_identifies_the_place_and_the_last_digits(town):
    assert pii.mask_id_number("410325196503120017") == "4103**********0017"
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_phone("0379-66123456") == "0379-****3456"
    assert pii.mask_id_number("") == "" and pii.mask_phone("") == ""
    assert (town.r_a1w.id_number_masked, town.r_a1w.phone_masked) == (
        "4103**********0017",
        "138****0001",
    )


# --- Showing in full: a permission, and a log entry ---------------------------------------


def test_unmask_with_the_permission_shows_the_value_and_logs_it(town):
    value = unmask(town.police, town.r_a1w, "id_number", reason="户籍核查")

    assert value == ID_NUMBERS[0]
    log = UnmaskLog.objects.get()
    assert (log.user, log.resident, log.field, log.reason) == (
        town.police,
        town.r_a1w,
        "id_number",
        "户籍核查",
    )
    assert log.town == town.town and log.at is not None


def test_unmask_a_phone(town):
    assert unmask(town.police, town.r_a1e, "phone") == "13837900002"
    assert UnmaskLog.objects.get().field == "phone"


def test_unmask_without_the_permission_is_denied_and_not_logged(town):
    with pytest.raises(PermissionDenied):
        unmask(town.grid_worker, town.r_a1w, "id_number")
    assert not UnmaskLog.objects.exists()


def test_unmask_by_a_granted_user(town):
    grant(town.grid_worker, "unmask_personal_data")
    assert unmask(town.grid_worker, town.r_a1w, "phone") == "13837900001"
    assert UnmaskLog.objects.get().user == town.grid_worker


def test_unmask_outside_scope_is_not_found_and_not_logged(town):
    grant(town.grid_worker, "unmask_personal_data")
    with pytest.raises(Http404):
        unmask(town.police, town.r_b1, "id_number")
    with pytest.raises(Http404):
        unmask(town.grid_worker, town.r_a2, "id_number")
    assert not UnmaskLog.objects.exists()


def test_the_unmask_page_shows_the_number_to_police(client, town):
    client.force_login(town.police)
    url = reverse("residents:unmask", args=[town.r_a1w.pk, "id_number"])
    response = client.post(url, {"reason": "警情核查"})

    assert response.status_code == 200
    assert ID_NUMBERS[0] in response.content.decode()
    assert UnmaskLog.objects.get().reason == "警情核查"


def test_the_unmask_page_hides_other_villages_and_wants_post(client, town):
    client.force_login(town.police)
    other = reverse("residents:unmask", args=[town.r_b1.pk, "id_number"])
    mine = reverse("residents:unmask", args=[town.r_a1w.pk, "id_number"])
    bad_field = reverse("residents:unmask", args=[town.r_a1w.pk, "name"])

    assert client.post(other).status_code == 404
    assert client.post(bad_field).status_code == 404
    assert client.get(mine).status_code == 405
    assert not UnmaskLog.objects.exists()


def test_the_unmask_page_refuses_users_without_the_permission(client, town):
    client.force_login(town.grid_worker)
    url = reverse("residents:unmask", args=[town.r_a1w.pk, "id_number"])
    assert client.post(url).status_code == 403
    assert not UnmaskLog.objects.exists()


def test_the_unmask_log_cannot_be_edited_or_deleted_in_the_admin(client, town):
    unmask(town.police, town.r_a1w, "id_number", reason="核查")
    log = UnmaskLog.objects.get()
    root = User.objects.create_superuser("root", password="pw-root")
    client.force_login(root)

    change = reverse("admin:residents_unmasklog_change", args=[log.pk])
    assert client.get(change).status_code == 200  # visible, read-only
    response = client.post(change, {"reason": "edited", "field": "phone"})
    assert response.status_code == 403
    delete = reverse("admin:residents_unmasklog_delete", args=[log.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:residents_unmasklog_add")).status_code == 403

    log.refresh_from_db()
    assert (log.reason, log.field) == ("核查", "id_number")
    model_admin = _admin_for(UnmaskLog)
    request = type("Request", (), {"user": root})()
    assert not model_admin.has_change_permission(request, log)
    assert not model_admin.has_delete_permission(request, log)
    assert not model_admin.has_add_permission(request)


def _admin_for(model):
    from django.contrib import admin

    return admin.site._registry[model]
