"""Village A (杨村) of the small town with its rules, a supermarket and a second official."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wangge.points.models import Good, PointRule, PointScheme, RuleKind
from wangge.staff.models import Role, User
from wangge.staff.services import assign_role

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


def _photo(name="evidence.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def photo(settings, tmp_path):
    """A factory of small JPEG uploads; media files go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return _photo


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def village_rules(town):
    """杨村's scheme (photo above 10, approval above 30), rules and goods."""
    r = town
    PointScheme.objects.create(
        town=r.town,
        village=r.va,
        title="杨村村规民约",
        evidence_threshold=10,
        approval_threshold=30,
    )

    def rule(code, title, kind, points, veto=False):
        return PointRule.objects.create(
            town=r.town,
            village=r.va,
            code=code,
            category="村规民约",
            title=title,
            kind=kind,
            points=points,
            veto=veto,
        )

    r.rule_small = rule("A01", "孝老爱亲", RuleKind.AWARD, 5)
    r.rule_medium = rule("A02", "参加义务劳动", RuleKind.AWARD, 20)
    r.rule_large = rule("A03", "见义勇为", RuleKind.AWARD, 50)
    r.rule_deduct = rule("D01", "乱堆乱放", RuleKind.DEDUCTION, 5)
    r.rule_veto = rule("D02", "高价彩礼", RuleKind.DEDUCTION, 20, veto=True)
    r.rule_other_village = PointRule.objects.create(
        town=r.town,
        village=r.vb,
        code="A01",
        category="村规民约",
        title="环境卫生",
        kind=RuleKind.AWARD,
        points=5,
    )
    r.oil = Good.objects.create(
        town=r.town, village=r.va, name="食用油", unit="桶", price=30, stock=5
    )
    r.soap = Good.objects.create(
        town=r.town, village=r.va, name="洗衣粉", unit="袋", price=5, stock=100
    )
    r.towel_b = Good.objects.create(
        town=r.town, village=r.vb, name="毛巾", unit="条", price=3, stock=10
    )
    # A second village official of 杨村, who may approve what the grid worker proposes.
    r.deputy = User.objects.create_user("deputy_va", password="pw-deputy", town=r.town)
    assign_role(r.deputy, Role.GRID_LEADER, village=r.va)
    return r
