"""Residents' pages: report without an account, a receipt code, tracking by code
(nothing internal shown), rating, withdrawing, rate limits and CSRF."""

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from wangge.cases import lifecycle as lc
from wangge.cases.intake import report
from wangge.cases.models import Attachment, Case, CaseEvent, Category, IdempotencyRecord
from wangge.cases.rules import REPORTER
from wangge.grids.models import Town

SH = ZoneInfo("Asia/Shanghai")
MON_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
REPORT = reverse("public:report")


def jpeg(name="scene.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 160, 90)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def report_data(**overrides):
    data = {
        "category": "MS01",
        "title": "",
        "description": "村口自来水管破了，水流到路上",
        "latitude": "34.105",
        "longitude": "112.003",
        "address": "",
        "reporter_name": "赵大娘",
        "reporter_phone": "13837900009",
        "idempotency_key": "0f6d6f1c4b5e4c0c9d1f2a3b4c5d6e7f",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def resident_case(**kwargs):
    """A case reported on the web form by a resident (through intake, as the page does)."""
    kwargs.setdefault("category", "MS01")
    kwargs.setdefault("title", "村口自来水管破裂")
    return report(
        actor=REPORTER,
        channel="web",
        longitude=112.003,
        latitude=34.105,
        reporter_phone="13837900009",
        now=MON_9,
        **kwargs,
    )


def track_url(case):
    return reverse("public:track", args=[case.receipt_code])


# --- Reporting ----------------------------------------------------------------


def test_report_with_a_point_lands_in_its_grid_and_redirects_to_the_receipt(
    client, town, catalogue
):
    response = client.post(REPORT, report_data())
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("public:receipt", args=[case.receipt_code])
    assert case.grid == town.a1 and case.town == town.town and case.micro_grid == town.a1w
    assert case.channel == "web" and case.state == "reported"
    assert case.reporter_user is None and case.reporter_name == "赵大娘"
    assert case.reporter_phone_masked == "138****0009"
    assert "13837900009" not in case.reporter_phone_encrypted
    assert case.title == "饮水问题"  # no title given: the category's name
    event = case.events.get()
    assert event.actor is None and event.actor_label == REPORTER

    page = client.get(response["Location"]).content.decode()
    assert case.number in page and case.receipt_code in page
    assert "请妥善保存" in page or "保存" in page
    assert reverse("public:track", args=[case.receipt_code]) in page


def test_address_only_report_goes_to_the_only_town(client, catalogue):
    only = Town.objects.create(
        name="德亭镇", code="410325106000", county_code="410325", county_name="嵩县"
    )
    page = client.get(REPORT).content.decode()
    assert 'name="town"' not in page
    response = client.post(
        REPORT, report_data(latitude="", longitude="", address="杨村三组 12 号门口")
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.town == only and case.grid is None and case.needs_placing
    assert case.address == "杨村三组 12 号门口"


def test_with_several_towns_an_address_needs_a_town(client, town, catalogue):
    data = report_data(latitude="", longitude="", address="大章镇街上")
    response = client.post(REPORT, data)
    assert response.status_code == 200 and "town" in response.context["form"].errors
    assert not Case.objects.exists()

    response = client.post(REPORT, {**data, "town": town.other_town.pk})
    assert response.status_code == 302
    assert Case.objects.get().town == town.other_town


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reporter_phone": ""}, "reporter_phone"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"category": "NOPE"}, "category"),
        ({"category": "MS"}, "category"),  # a 大类 with items is not itself a choice
        ({"description": ""}, "description"),
        ({"latitude": "", "longitude": "", "address": ""}, "__all__"),
        ({"latitude": "95", "longitude": "112.003"}, "__all__"),
        ({"idempotency_key": "x"}, "idempotency_key"),
    ],
)
def test_bad_report_is_shown_on_the_form_and_nothing_is_written(
    client, town, catalogue, overrides, field
):
    response = client.post(REPORT, report_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_bad_phone_message_is_in_chinese(client, town, catalogue):
    response = client.post(REPORT, report_data(reporter_phone="12345"))
    assert "电话号码应为 11 位手机号或带区号的固定电话" in response.content.decode()


def test_inactive_category_cannot_be_chosen(client, town, catalogue):
    Category.objects.filter(code="MS01").update(active=False)
    assert 'value="MS01"' not in client.get(REPORT).content.decode()
    response = client.post(REPORT, report_data())
    assert "category" in response.context["form"].errors
    assert not Case.objects.exists()


def test_form_offers_problems_then_service_items_and_flags_emergencies(client, town, catalogue):
    page = client.get(REPORT).content.decode()
    assert '<optgroup label="民生诉求">' in page
    assert page.index("民生诉求") < page.index("证件户籍")
    assert 'data-kind="service"' in page and 'data-group="BM1"' in page
    assert re.search(r'value="TF01"[^>]*data-emergency="1"', page)
    assert "110" in page and "120" in page
    assert 'type="tel"' in page
    assert 'accept="image/*"' in page and 'capture="environment"' in page
    assert 'name="idempotency_key"' in page


def test_every_form_render_has_its_own_idempotency_key(client, town, catalogue):
    keys = [client.get(REPORT).context["form"]["idempotency_key"].value() for _ in range(2)]
    assert keys[0] != keys[1] and all(len(k) >= 16 for k in keys)


def test_a_repeated_post_with_the_same_key_makes_one_case(client, town, catalogue):
    first = client.post(REPORT, report_data())
    second = client.post(REPORT, report_data())
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
    assert (
        IdempotencyRecord.objects.get().client == "public"
    )  # not the address: phones change networks


def test_a_used_key_with_other_content_asks_again_with_a_fresh_key(client, town, catalogue):
    client.post(REPORT, report_data())
    response = client.post(REPORT, report_data(description="另一件事"))
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert Case.objects.count() == 1
    fresh = response.context["form"]["idempotency_key"].value()
    assert fresh != report_data()["idempotency_key"]
    again = client.post(REPORT, report_data(description="另一件事", idempotency_key=fresh))
    assert again.status_code == 302 and Case.objects.count() == 2


def test_photos_are_uploaded_with_the_report(client, town, catalogue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = client.post(REPORT, {**report_data(), "photos": [jpeg("a.jpg"), jpeg("b.jpg")]})
    assert response.status_code == 302
    case = Case.objects.get()
    assert Attachment.objects.filter(case=case).count() == 2
    assert all(a.uploaded_by is None for a in Attachment.objects.all())


def test_a_file_that_is_not_a_photo_is_refused(client, town, catalogue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("scene.jpg", b"not an image at all", content_type="image/jpeg")
    response = client.post(REPORT, {**report_data(), "photos": [fake]})
    assert response.status_code == 200 and "photos" in response.context["form"].errors
    assert not Case.objects.exists() and not Attachment.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_too_many_photos_are_refused(client, town, catalogue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = client.post(REPORT, {**report_data(), "photos": [jpeg() for _ in range(6)]})
    assert "photos" in response.context["form"].errors
    assert not Case.objects.exists()


def test_an_emergency_from_the_web_is_an_emergency(client, town, catalogue):
    client.post(REPORT, report_data(category="TF02", description="后山着火了"))
    case = Case.objects.get()
    assert case.priority == "emergency" and case.on_scene_due_at is not None


# --- The receipt code ---------------------------------------------------------


def test_receipt_code_is_long_random_and_url_safe(town, catalogue):
    codes = {resident_case(title=f"第{i}件").receipt_code for i in range(20)}
    assert len(codes) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{10,}", code) for code in codes)


# --- Tracking -----------------------------------------------------------------


def _through_the_town(town, case):
    """Accept → send to the town → dispatch → claim → urge → resolve, with notes that
    name staff and give phone numbers, plus an internal note."""
    lc.accept(case, town.grid_worker, note="worker_a1 已联系 13800001111", now=MON_9)
    lc.send_to_town(case, town.grid_worker, reason="需派出所处理，联系 dispatcher", now=MON_9)
    lc.dispatch(case, town.dispatcher, lead=town.pcs, note="请 dept_pcs 跟进，电话 13912345678")
    lc.claim(case, town.department, note="dept_pcs 已接单")
    lc.urge(case, town.dispatcher, note="dispatcher 督办：尽快")
    CaseEvent.objects.create(
        town=case.town,
        case=case,
        at=MON_9,
        actor=town.dispatcher,
        action="note",
        note="内部备注：举报人是村会计的亲戚 0379-66661234",
        internal=True,
    )


def test_tracking_shows_progress_and_result_but_nothing_internal(client, town, catalogue):
    case = resident_case()
    _through_the_town(town, case)
    lc.resolve(case, town.department, result="管道已更换，恢复供水")

    page = client.get(track_url(case)).content.decode()
    assert case.number in page and "饮水问题" in page and "村口自来水管破裂" in page
    assert "已处置，待核查" in page
    assert "已派单至德亭派出所" in page and "德亭派出所已接单" in page
    assert "管道已更换，恢复供水" in page
    assert "杨村第一网格" in page
    for secret in (
        "13800001111",
        "13912345678",
        "0379-66661234",
        "13837900009",
        "138****0009",
        "赵大娘",
        "worker_a1",
        "dept_pcs",
        "dispatcher",
        "police_va",
        "内部备注",
        "督办",
        "需派出所处理",
    ):
        assert secret not in page, secret


def test_progress_line_marks_reached_milestones_and_the_current_one(client, town, catalogue):
    case = resident_case()
    lc.accept(case, town.grid_worker, now=MON_9)
    steps = client.get(track_url(case)).context["steps"]
    assert [s["done"] for s in steps] == [True, True, False, False]
    assert [s["current"] for s in steps] == [False, False, True, False]
    assert steps[1]["at"] == MON_9


def test_a_rejected_report_shows_the_reason(client, town, catalogue):
    case = resident_case()
    lc.reject(case, town.grid_worker, reason="不属于受理范围，请向县法院咨询")
    page = client.get(track_url(case)).content.decode()
    assert "不予受理" in page and "不属于受理范围，请向县法院咨询" in page


def test_tracking_form_sends_the_code_to_its_page(client, town, catalogue):
    case = resident_case()
    assert client.get(reverse("public:track_lookup")).status_code == 200
    response = client.get(reverse("public:track_lookup"), {"code": f"  {case.receipt_code} "})
    assert response.status_code == 302 and response["Location"] == track_url(case)


def test_unknown_code_is_an_ordinary_404(client, town, catalogue):
    resident_case()
    response = client.get(reverse("public:track", args=["NoSuchCode123"]))
    other = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response.content == other.content
    assert client.get(reverse("public:receipt", args=["NoSuchCode123"])).status_code == 404


def test_tracking_page_query_count_is_constant(
    client, town, catalogue, django_assert_max_num_queries
):
    case = resident_case()
    _through_the_town(town, case)
    with django_assert_max_num_queries(8):
        assert client.get(track_url(case)).status_code == 200


def test_pages_are_chinese_whatever_the_browser_says_and_english_after_the_switch(
    client, town, catalogue
):
    page = client.get(REPORT, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "反映问题 · 办理便民服务" in page
    client.post(reverse("set_language"), {"language": "en", "next": REPORT})
    page = client.get(REPORT).content.decode()
    assert "Report a problem or ask for a service" in page and "反映问题" not in page


# --- Rate limits ----------------------------------------------------------------


def test_tracking_is_rate_limited_per_address(client, town, catalogue, settings):
    settings.WANGGE_PUBLIC_TRACK_RATE = "3/d"
    case = resident_case()
    # Guesses count too: that is the point.
    assert client.get(reverse("public:track", args=["guess00001"])).status_code == 404
    assert client.get(reverse("public:track", args=["guess00002"])).status_code == 404
    assert client.get(track_url(case)).status_code == 200
    response = client.get(track_url(case))
    assert response.status_code == 429
    assert "请求过于频繁" in response.content.decode()
    assert case.number not in response.content.decode()
    # Another address is not affected.
    assert client.get(track_url(case), REMOTE_ADDR="10.0.0.8").status_code == 200


def test_reporting_is_rate_limited_per_address(client, town, catalogue, settings):
    settings.WANGGE_PUBLIC_REPORT_RATE = "2/d"
    for i in range(2):
        key = f"{i:032x}"
        assert client.post(REPORT, report_data(idempotency_key=key)).status_code == 302
    response = client.post(REPORT, report_data(idempotency_key="f" * 32))
    assert response.status_code == 429 and Case.objects.count() == 2
    # Reading the form is not limited.
    assert client.get(REPORT).status_code == 200


# --- Rating and withdrawing --------------------------------------------------------


def _resolved(town):
    case = resident_case()
    lc.accept(case, town.grid_worker, now=MON_9)
    lc.resolve_on_site(case, town.grid_worker, result="已清理")
    return case


def test_satisfied_rating_closes_a_resolved_case(client, town, catalogue):
    case = _resolved(town)
    page = client.get(track_url(case)).content.decode()
    assert 'name="rating"' in page and "基本满意" in page
    response = client.post(
        reverse("public:rate", args=[case.receipt_code]),
        {"rating": "satisfied", "comment": "很快", "version": case.version},
    )
    assert response.status_code == 302 and response["Location"] == track_url(case)
    case.refresh_from_db()
    assert case.state == "closed" and case.rating == "satisfied" and case.rating_comment == "很快"
    page = client.get(track_url(case)).content.decode()
    assert "已办结" in page and 'name="rating"' not in page


def test_unsatisfied_rating_sends_the_case_back(client, town, catalogue):
    case = _resolved(town)
    client.post(
        reverse("public:rate", args=[case.receipt_code]),
        {"rating": "unsatisfied", "comment": "还是有垃圾", "version": case.version},
    )
    case.refresh_from_db()
    assert case.state == "accepted" and case.rework_count == 1
    assert "正在重新处理" in client.get(track_url(case)).content.decode()


def test_a_closed_unrated_case_can_be_rated_once(client, town, catalogue):
    case = _resolved(town)
    lc.verify(case, town.grid_worker)
    url = reverse("public:rate", args=[case.receipt_code])
    client.post(url, {"rating": "basic", "version": case.version})
    case.refresh_from_db()
    assert case.state == "closed" and case.rating == "basic"
    response = client.post(url, {"rating": "unsatisfied", "version": case.version}, follow=True)
    case.refresh_from_db()
    assert case.rating == "basic"
    assert "已评价" in response.content.decode()


def test_rating_needs_a_choice(client, town, catalogue):
    case = _resolved(town)
    response = client.post(
        reverse("public:rate", args=[case.receipt_code]), {"version": case.version}
    )
    assert response.status_code == 400 and "rating" in response.context["rate_form"].errors
    case.refresh_from_db()
    assert case.state == "resolved"


def test_a_stale_page_cannot_rate(client, town, catalogue):
    case = _resolved(town)
    seen = case.version
    lc.rework(case, town.grid_worker, reason="复查不合格")
    lc.resolve_on_site(case, town.grid_worker, result="重新清理")
    response = client.post(
        reverse("public:rate", args=[case.receipt_code]),
        {"rating": "satisfied", "version": seen},
        follow=True,
    )
    case.refresh_from_db()
    assert case.state == "resolved" and not case.rating
    assert "其他人" in response.content.decode() or "刷新" in response.content.decode()


def test_a_report_can_be_withdrawn_until_it_is_accepted(client, town, catalogue):
    case = resident_case()
    assert "撤回" in client.get(track_url(case)).content.decode()
    response = client.post(
        reverse("public:cancel", args=[case.receipt_code]),
        {"reason": "已自行解决", "version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "cancelled"
    assert case.events.last().note == "已自行解决"


def test_an_accepted_report_cannot_be_withdrawn(client, town, catalogue):
    case = resident_case()
    seen = case.version
    lc.accept(case, town.grid_worker, now=MON_9)
    response = client.post(
        reverse("public:cancel", args=[case.receipt_code]), {"version": seen}, follow=True
    )
    case.refresh_from_db()
    assert case.state == "accepted"
    assert response.context["cancel_form"] is None
    assert list(response.context["messages"])


# --- CSRF ----------------------------------------------------------------------


def test_every_form_is_csrf_protected(town, catalogue):
    case = _resolved(town)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(REPORT, report_data()).status_code == 403
    rate_url = reverse("public:rate", args=[case.receipt_code])
    cancel_url = reverse("public:cancel", args=[case.receipt_code])
    assert strict.post(rate_url, {"rating": "satisfied", "version": 1}).status_code == 403
    assert strict.post(cancel_url, {"version": 1}).status_code == 403
    assert Case.objects.count() == 1
    case.refresh_from_db()
    assert case.state == "resolved"


def test_the_form_works_with_its_csrf_token(town, catalogue):
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(REPORT).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = strict.post(REPORT, {**report_data(), "csrfmiddlewaretoken": token})
    assert response.status_code == 302


# --- The map ------------------------------------------------------------------------


def test_grid_map_has_boundaries_and_names_only(client, town):
    response = client.get(reverse("public:grids"))
    data = response.json()
    assert data["type"] == "FeatureCollection"
    names = {f["properties"]["name"] for f in data["features"]}
    assert "杨村第一网格" in names
    assert all(set(f["properties"]) == {"name"} for f in data["features"])


def test_receipt_codes_are_easy_to_read_out_and_forgiving_to_type(town, make_case):
    from wangge.cases.models import RECEIPT_ALPHABET, normalise_receipt_code

    case = make_case()
    code = case.receipt_code
    assert len(code) == 13 and set(code) <= set(RECEIPT_ALPHABET)
    typed = " ".join([code[:4], code[4:8], code[8:]]).lower().replace("1", "l").replace("0", "o")
    assert normalise_receipt_code(typed) == code


def test_the_shared_cache_counts_atomically_and_keeps_the_expiry(db):
    from django.core.cache import cache

    cache.set("hits", 1, timeout=3600)
    assert cache.incr("hits") == 2 and cache.incr("hits", 5) == 7
    assert cache.get("hits") == 7
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM wangge_cache")
        (expires,) = cursor.fetchone()
    assert str(expires) > str(__import__("django").utils.timezone.now().replace(tzinfo=None))
    with pytest.raises(ValueError):
        cache.incr("missing")
