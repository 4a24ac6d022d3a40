"""The points demo on the small town: consistent ledger, balances, stock; deterministic."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from wangge.points import demo
from wangge.points.models import (
    AwardProposal,
    FamilyNomination,
    Good,
    PointAccount,
    PointEntry,
    PointRule,
    Redemption,
    StarRating,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def built(town, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return demo.build(town.town, seed=1, now=NOW)


def test_every_village_has_rules_and_a_supermarket(town, built):
    assert PointRule.objects.filter(village=town.va).count() == len(demo.RULES)
    assert Good.objects.filter(village=town.vb).count() == len(demo.GOODS)
    assert [row[1] for row in built][0] == 2


def test_balances_equal_the_ledger_and_never_negative(town, built):
    sums = dict(
        PointEntry.objects.values("household_id")
        .annotate(s=Sum("points"))
        .values_list("household_id", "s")
    )
    accounts = dict(PointAccount.objects.values_list("household_id", "balance"))
    assert sums and accounts == {k: v for k, v in sums.items() if k in accounts}
    assert min(accounts.values()) >= 0
    assert not Good.objects.filter(stock__lt=0).exists()


def test_stock_matches_redemptions(town, built):
    for good in Good.objects.all():
        sold = Redemption.objects.filter(good=good).aggregate(n=Sum("quantity"))["n"] or 0
        start = {name: stock for name, _unit, _price, stock in demo.GOODS}[good.name]
        assert good.stock == start - sold


def test_large_awards_are_approved_by_someone_else(town, built):
    for proposal in AwardProposal.objects.exclude(status="pending"):
        assert proposal.decided_by_id != proposal.proposed_by_id
        assert proposal.entry.points == proposal.points
    assert AwardProposal.objects.filter(status="pending").exists()


def test_ratings_and_best_families(town, built):
    assert StarRating.objects.filter(year=2026).count() == town.va.households.count()
    assert FamilyNomination.objects.filter(status="selected").exists()


def _fingerprint():
    return (
        list(
            PointEntry.objects.order_by(
                "household_id", "occurred_on", "kind", "points", "note"
            ).values_list("household_id", "occurred_on", "kind", "points", "note")
        ),
        list(Good.objects.order_by("village_id", "name").values_list("name", "stock")),
        list(StarRating.objects.order_by("household_id", "year").values_list("stars")),
    )


def _wipe():
    for model in (FamilyNomination, StarRating, Redemption, AwardProposal, PointAccount):
        model.objects.all().delete()
    PointEntry.objects.all().delete()  # a queryset delete, as a test clean-up only
    for model in (Good, PointRule):
        model.objects.all().delete()
    from wangge.points.models import PointScheme

    PointScheme.objects.all().delete()


def test_same_seed_same_year(town, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    demo.build(town.town, seed=3, now=NOW)
    first = _fingerprint()
    _wipe()
    demo.build(town.town, seed=3, now=NOW)
    assert _fingerprint() == first
    assert first[0] and first[1]
