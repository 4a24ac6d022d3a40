"""Reporting: location, bad input, duplicates, idempotency, photos, personal data."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation
from PIL import Image

from wangge.cases import lifecycle as lc
from wangge.cases.errors import IdempotencyMismatch, InvalidInput, MissingInput
from wangge.cases.models import Attachment, Case, CaseEvent

SH = ZoneInfo("Asia/Shanghai")
MON_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)


def photo(name="scene.jpg", fmt="JPEG", size=(800, 600)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 160, 90)).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_point_outside_every_grid_is_kept_and_flagged(town, make_case):
    case = make_case(lon=113.5, lat=35.0)
    assert case.grid is None and case.needs_placing and case.town == town.town
    assert case.state == "reported"


def test_point_in_a_hole_is_flagged_too(town, make_case):
    case = make_case(lon=112.015, lat=34.095)
    assert case.grid is None and case.needs_placing


@pytest.mark.parametrize(
    "kwargs, error, field",
    [
        ({"category": "NOPE"}, InvalidInput, "category"),
        ({"title": "  "}, MissingInput, "title"),
        ({"channel": "pigeon"}, InvalidInput, "channel"),
        ({"priority": "whenever"}, InvalidInput, "priority"),
        ({"reporter_phone": "12345"}, InvalidInput, "reporter_phone"),
        ({"lat": 95.0}, InvalidInput, "position"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(town, make_case, kwargs, error, field):
    category = kwargs.pop("category", "MS01")
    with pytest.raises(error) as raised:
        make_case(category, **kwargs)
    assert raised.value.field == field
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_anonymous_phone_is_stored_encrypted_and_masked(town, make_case):
    case = make_case(reporter_phone="13837911234", reporter_name="王先生")
    assert case.reporter_phone_masked == "138****1234"
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone_encrypted FROM cases_case WHERE id = %s", [case.pk])
        (raw,) = cursor.fetchone()
    assert "13837911234" not in raw


def test_same_idempotency_key_returns_the_first_case(town, make_case):
    first = make_case(idempotency_key="k-1")
    again = make_case(idempotency_key="k-1")
    assert again.pk == first.pk and Case.objects.count() == 1


def test_same_key_with_another_body_is_refused(town, make_case):
    make_case(idempotency_key="k-2")
    with pytest.raises(IdempotencyMismatch):
        make_case(idempotency_key="k-2", title="另一件事")
    assert Case.objects.count() == 1


def test_keys_are_per_client(town, make_case):
    make_case(idempotency_key="k-3")
    make_case(idempotency_key="k-3", actor=town.grid_leader)
    assert Case.objects.count() == 2


def test_nearby_open_case_of_the_same_category_is_flagged_as_likely_duplicate(town, make_case):
    original = make_case()
    near = make_case(lon=112.0031, lat=34.1051, now=MON_9 + timedelta(hours=2))
    far = make_case(lon=112.009, lat=34.109, now=MON_9 + timedelta(hours=2))
    other_kind = make_case("MS02", now=MON_9 + timedelta(hours=2))
    assert near.likely_duplicate_of == original
    assert far.likely_duplicate_of is None and other_kind.likely_duplicate_of is None
    lc.accept(near, town.grid_worker, now=MON_9 + timedelta(hours=3))
    lc.merge(near, town.grid_worker, original=original, now=MON_9 + timedelta(hours=3))
    assert near.state == "merged" and near.duplicate_of == original


def test_duplicate_window_and_closed_cases(town, make_case, settings):
    settings.WANGGE_DUPLICATE_WINDOW_HOURS = 1
    make_case()
    later = make_case(lon=112.0031, lat=34.1051, now=MON_9 + timedelta(hours=2))
    assert later.likely_duplicate_of is None


def test_a_report_with_a_position_reads_no_grid_and_searches_duplicates_by_index(town, make_case):
    """The locator knows the grid's village and town, the numbering statement the
    prefix; the duplicate search reads the index `case_nearby`, not one table row
    per recent case of the town (SQLite, which has no statistics, guessed that)."""
    from django.test.utils import CaptureQueriesContext

    make_case()  # the locator built, the year's number row made
    with CaptureQueriesContext(connection) as captured:
        case = make_case(lon=112.0031, lat=34.1051, now=MON_9 + timedelta(hours=1))
    assert case.grid == town.a1 and case.village_id == town.a1.village_id
    assert case.number.startswith(f"{town.town.case_prefix}2026")
    statements = [q["sql"] for q in captured.captured_queries]
    assert not [sql for sql in statements if 'FROM "grids_grid"' in sql or "FROM grids_grid" in sql]
    search = next(sql for sql in statements if '"cases_case"."latitude" BETWEEN' in sql)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + search)
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "COVERING INDEX case_nearby" in plan


def test_photos_are_checked_and_stored_under_server_names(town, make_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = make_case(photos=[photo("../../etc/passwd.jpg")])
    attachment = Attachment.objects.get(case=case)
    assert attachment.content_type == "image/jpeg"
    assert "passwd" not in attachment.file.name and attachment.file.name.endswith(".jpg")
    assert attachment.thumbnail.name.endswith("-thumb.jpg")
    with Image.open(attachment.thumbnail.path) as thumb:
        assert max(thumb.size) <= 320


def test_a_file_that_is_not_a_photo_is_refused(town, make_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    with pytest.raises(InvalidInput):
        make_case(photos=[fake])
    assert Case.objects.count() == 0


def test_a_photo_too_large_is_refused(town, make_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.WANGGE_MAX_UPLOAD_BYTES = 1000
    with translation.override("en"), pytest.raises(InvalidInput, match="too large"):
        make_case(photos=[photo()])
    assert Case.objects.count() == 0


def test_resolution_with_photos(town, make_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = make_case()
    lc.accept(case, town.grid_worker, now=MON_9)
    lc.resolve_on_site(
        case, town.grid_worker, result="已修好", photos=[photo(fmt="PNG")], now=MON_9
    )
    attachment = Attachment.objects.get(case=case)
    assert attachment.content_type == "image/png" and attachment.event.action == "resolve_on_site"


def test_service_item_uses_its_promised_time(town, make_case):
    case = make_case("BM101", title="为行动不便老人办理身份证")
    assert case.priority == "service"
    lc.accept(case, town.grid_worker, now=MON_9)
    # 7 working days of 420 minutes from Monday 09:00 → the next Wednesday 09:00
    assert case.resolve_due_at == datetime(2026, 12, 2, 9, 0, tzinfo=SH)


@pytest.mark.django_db(transaction=True)
def test_a_grid_deleted_by_another_process_fails_one_report_and_the_retry_is_kept(town, make_case):
    """The locator's map is this process's: a grid deleted elsewhere (seen here
    only after WANGGE_LOCATOR_RECHECK_SECONDS) fails the report that landed in
    it, with nothing written; the map is read afresh, so the retry is kept,
    flagged for the dispatcher to place."""
    from django.db import IntegrityError

    from wangge.grids import locator
    from wangge.grids.models import Grid

    spare = Grid.objects.create(
        town=town.town,
        village=town.vb,
        code="410325106202099",
        name="备用网格",
        boundary={
            "type": "Polygon",
            "coordinates": [[[113.0, 34.0], [113.01, 34.0], [113.01, 34.01], [113.0, 34.0]]],
        },
    )
    assert locator.locate(113.008, 34.002).grid_id == spare.pk
    with connection.cursor() as cursor:  # as another process would: no signal here
        cursor.execute("DELETE FROM grids_grid WHERE id = %s", [spare.pk])
    before = Case.objects.count()
    with pytest.raises(IntegrityError):
        make_case(lon=113.008, lat=34.002, idempotency_key="retry-me")
    assert Case.objects.count() == before
    case = make_case(lon=113.008, lat=34.002, idempotency_key="retry-me")
    assert case.needs_placing and case.grid_id is None and case.town_id == town.town.pk
