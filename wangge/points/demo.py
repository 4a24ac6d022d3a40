"""Points for the demo town: every village's 村规民约 as point rules, a year of
ledger entries, a points supermarket with goods and redemptions, star ratings and
最美家庭 (the brief: 推广“村规民约+积分管理”模式，建立“积分超市”，开展“最美家庭”
“星级文明户”评选).

The year is simulated household by household in date order, so every balance is
the sum of its ledger and never below zero, and no good sells more than its
stock; rows are written in bulk (a whole town's year must take seconds). The
approvals page gets a few large awards still waiting, made through the service.
"""

from __future__ import annotations

import io
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image

from wangge.grids.models import Village
from wangge.points import services
from wangge.points.models import (
    AwardProposal,
    EntryKind,
    FamilyNomination,
    Good,
    NominationStatus,
    PointAccount,
    PointEntry,
    PointRule,
    PointScheme,
    ProposalStatus,
    Redemption,
    RuleKind,
    StarRating,
)
from wangge.residents.models import Household
from wangge.staff.models import Role, RoleAssignment

BATCH = 2000

# (code, category, title, kind, points, veto, yearly rate per household)
RULES = [
    ("A01", "孝老爱亲", "赡养老人、孝敬公婆，家庭和睦", RuleKind.AWARD, 5, False, 0.5),
    ("A02", "环境卫生", "庭院整洁、门前“三包”季度检查达标", RuleKind.AWARD, 5, False, 1.2),
    ("A03", "移风易俗", "红白事简办、不收高价彩礼", RuleKind.AWARD, 10, False, 0.12),
    ("A04", "邻里互助", "帮扶困难邻居、照顾留守老人儿童", RuleKind.AWARD, 5, False, 0.3),
    ("A05", "义务劳动", "参加村内义务劳动（每次）", RuleKind.AWARD, 5, False, 0.8),
    ("A06", "平安建设", "参加嵩州义警大巡逻（每次）", RuleKind.AWARD, 3, False, 0.3),
    ("A07", "环境卫生", "垃圾分类投放到位", RuleKind.AWARD, 3, False, 0.5),
    ("A08", "崇学重教", "子女考取全日制本科院校", RuleKind.AWARD, 20, False, 0.03),
    ("A09", "见义勇为", "见义勇为、抢险救灾表现突出", RuleKind.AWARD, 50, False, 0.004),
    ("A10", "产业发展", "发展柴胡等特色种植、带动群众增收", RuleKind.AWARD, 15, False, 0.04),
    ("A11", "矛盾调解", "主动化解邻里纠纷", RuleKind.AWARD, 5, False, 0.1),
    ("A12", "先进表彰", "获得县级以上表彰", RuleKind.AWARD, 40, False, 0.006),
    ("D01", "环境卫生", "柴草、粪土乱堆乱放", RuleKind.DEDUCTION, 5, False, 0.12),
    ("D02", "村容村貌", "私搭乱建、占道经营", RuleKind.DEDUCTION, 20, False, 0.02),
    ("D03", "移风易俗", "索要高价彩礼", RuleKind.DEDUCTION, 30, True, 0.004),
    ("D04", "移风易俗", "红白事大操大办、铺张浪费", RuleKind.DEDUCTION, 20, True, 0.008),
    ("D05", "生态保护", "野外焚烧秸秆、违规用火", RuleKind.DEDUCTION, 10, False, 0.02),
    ("D06", "孝老爱亲", "不履行赡养义务", RuleKind.DEDUCTION, 30, True, 0.002),
    ("D07", "平安建设", "参与赌博、封建迷信活动", RuleKind.DEDUCTION, 30, True, 0.002),
]

# (name, unit, price in points, stock at the start of the year)
GOODS = [
    ("食用盐", "袋", 2, 400),
    ("香皂", "块", 3, 300),
    ("毛巾", "条", 4, 300),
    ("洗衣粉", "袋", 5, 400),
    ("牙膏", "支", 5, 300),
    ("酱油", "瓶", 6, 250),
    ("洗洁精", "瓶", 6, 250),
    ("卫生纸", "提", 8, 250),
    ("暖水瓶", "个", 20, 60),
    ("大米", "袋（10斤）", 25, 120),
    ("面粉", "袋（10斤）", 25, 120),
    ("食用油", "桶（5升）", 30, 100),
]

DEEDS = [
    "照顾瘫痪婆婆十余年，孝老爱亲远近闻名",
    "三代同堂和睦相处，家风淳朴",
    "带头移风易俗，儿子婚事零彩礼简办",
    "常年帮扶邻居留守老人，热心公益",
    "返乡种植柴胡，带动十余户群众增收",
    "重视子女教育，两个孩子考上大学",
    "庭院整洁美观，带动邻里整治人居环境",
    "积极参加嵩州义警巡逻，守护一方平安",
]


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(out, "JPEG", quality=70)
    return out.getvalue()


def _moment(day, rng) -> datetime:
    naive = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)))
    return timezone.make_aware(naive, timezone.get_current_timezone())


def build(town, *, seed: int, now) -> list[tuple[str, int, object]]:
    """Fill the demo town's villages with points; returns rows for the demo summary."""
    rng = random.Random(f"points-{seed}")
    today = timezone.localdate(now)
    start = today - timedelta(days=364)
    villages = list(Village.objects.filter(town=town).order_by("code"))
    evidence_name = f"points/{town.pk}/demo-evidence.jpg"
    if not default_storage.exists(evidence_name):
        evidence_name = default_storage.save(evidence_name, ContentFile(_photo()))

    workers = dict(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, grid__town=town).values_list(
            "grid_id", "user_id"
        )
    )
    leaders = dict(
        RoleAssignment.objects.filter(role=Role.GRID_LEADER, village__town=town).values_list(
            "village_id", "user_id"
        )
    )

    with transaction.atomic():
        PointScheme.objects.bulk_create(
            PointScheme(town=town, village=v, title=f"{v.name}村规民约积分管理办法")
            for v in villages
        )
        rules = PointRule.objects.bulk_create(
            PointRule(
                town=town,
                village=v,
                code=code,
                category=category,
                title=title,
                kind=kind,
                points=points,
                veto=veto,
            )
            for v in villages
            for code, category, title, kind, points, veto, _rate in RULES
        )
        rules_of = defaultdict(list)
        for rule in rules:
            rules_of[rule.village_id].append(rule)
        rates = {code: rate for code, *_rest, rate in RULES}
        goods = Good.objects.bulk_create(
            Good(town=town, village=v, name=name, unit=unit, price=price, stock=stock)
            for v in villages
            for name, unit, price, stock in GOODS
        )
        goods_of = defaultdict(list)
        for good in goods:
            goods_of[good.village_id].append(good)
        stock = {good.pk: good.stock for good in goods}

        limits = services.thresholds(villages[0]) if villages else None
        entries: list[PointEntry] = []
        sales: list[tuple[int, Good, int]] = []  # (entry index, good, quantity)
        approvals: list[tuple[int, int]] = []  # (entry index, approver)
        balances: dict[int, int] = {}
        households = Household.objects.filter(town=town).values_list("pk", "village_id", "grid_id")
        for household_id, village_id, grid_id in households.order_by("pk").iterator():
            actor = workers.get(grid_id) or leaders.get(village_id)
            if actor is None or not rules_of[village_id]:
                continue
            engaged = rng.random() < 0.7
            events = []
            for rule in rules_of[village_id]:
                rate = rates[rule.code] * (1.0 if engaged else 0.2)
                for _n in range(_poisson(rng, rate)):
                    events.append((start + timedelta(days=rng.randrange(365)), rule))
            events.sort(key=lambda e: (e[0], e[1].code))
            balance = 0
            month = None
            for day, rule in events:
                if (
                    month is not None
                    and day.month != month
                    and balance >= 20
                    and rng.random() < 0.4
                ):
                    balance = _shop(
                        rng,
                        household_id,
                        village_id,
                        grid_id,
                        actor,
                        day,
                        balance,
                        goods_of[village_id],
                        stock,
                        entries,
                        sales,
                    )
                month = day.month
                # A deduction takes at most the balance, as the service does.
                points = rule.points if rule.kind == RuleKind.AWARD else -min(rule.points, balance)
                balance += points
                large = rule.kind == RuleKind.AWARD and rule.points > limits.approval
                if large:
                    approvals.append((len(entries), leaders.get(village_id) or actor))
                entries.append(
                    PointEntry(
                        town_id=town.pk,
                        village_id=village_id,
                        household_id=household_id,
                        kind=EntryKind.AWARD if points > 0 else EntryKind.DEDUCTION,
                        rule=rule,
                        points=points,
                        nominal_points=rule.signed_points,
                        occurred_on=day,
                        evidence=evidence_name if rule.points > limits.evidence else "",
                        evidence_name=evidence_name.rsplit("/", 1)[-1]
                        if rule.points > limits.evidence
                        else "",
                        proposed_by_id=actor,
                        approved_by_id=leaders.get(village_id) if large else None,
                        created_at=_moment(day, rng),
                    )
                )
            if events and balance >= 10 and rng.random() < 0.5:
                balance = _shop(
                    rng,
                    household_id,
                    village_id,
                    grid_id,
                    actor,
                    today,
                    balance,
                    goods_of[village_id],
                    stock,
                    entries,
                    sales,
                )
            if events:
                balances[household_id] = (balance, village_id)

        linked = {i for i, _approver in approvals} | {i for i, _good, _q in sales}
        # Entries that a proposal or a redemption points at need their ids back.
        PointEntry.objects.bulk_create([entries[i] for i in sorted(linked)], batch_size=BATCH)
        _insert_plain([e for i, e in enumerate(entries) if i not in linked])
        AwardProposal.objects.bulk_create(
            (
                AwardProposal(
                    town_id=town.pk,
                    village_id=entries[i].village_id,
                    household_id=entries[i].household_id,
                    rule=entries[i].rule,
                    points=entries[i].points,
                    occurred_on=entries[i].occurred_on,
                    evidence=evidence_name,
                    evidence_name=entries[i].evidence_name,
                    status=ProposalStatus.APPROVED,
                    proposed_by_id=entries[i].proposed_by_id,
                    proposed_at=entries[i].created_at,
                    decided_by_id=approver,
                    decided_at=entries[i].created_at + timedelta(hours=20),
                    entry=entries[i],
                )
                for i, approver in approvals
            ),
            batch_size=BATCH,
        )
        Redemption.objects.bulk_create(
            (
                Redemption(
                    town_id=town.pk,
                    village_id=entries[i].village_id,
                    household_id=entries[i].household_id,
                    good=good,
                    quantity=quantity,
                    points=-entries[i].points,
                    entry=entries[i],
                    served_by_id=entries[i].proposed_by_id,
                    at=entries[i].created_at,
                )
                for i, good, quantity in sales
            ),
            batch_size=BATCH,
        )
        for good in goods:
            good.stock = stock[good.pk]
        Good.objects.bulk_update(goods, ["stock"], batch_size=BATCH)
        PointAccount.objects.bulk_create(
            (
                PointAccount(town_id=town.pk, village_id=vid, household_id=hid, balance=b)
                for hid, (b, vid) in balances.items()
            ),
            batch_size=BATCH,
        )

    _pending_awards(town, rng, villages, rules_of, workers, now, evidence_name)
    _ratings(town, villages, leaders, today, now)
    selected = _best_families(town, rng, villages, leaders, workers, today, now)

    ratings = StarRating.objects.filter(town=town, year=today.year)
    return [
        (_("villages with a points scheme (村规民约+积分)"), len(villages), "推广"),
        (_("point rules"), len(rules), ""),
        (_("ledger entries in the year"), len(entries), ""),
        (_("points supermarkets"), len({g.village_id for g in goods}), "积分超市"),
        (_("supermarket redemptions"), len(sales), ""),
        (_("households with 4–5 stars (星级文明户)"), ratings.filter(stars__gte=4).count(), ""),
        (_("best families selected (最美家庭)"), selected, ""),
    ]


def _insert_plain(entries: list[PointEntry]) -> None:
    """Insert ledger rows nothing points at with plain executemany: Django's
    bulk_create spends most of the demo's time preparing ~50,000 rows field by field."""
    ops = connection.ops
    columns = [
        "town_id",
        "village_id",
        "household_id",
        "kind",
        "rule_id",
        "points",
        "nominal_points",
        "note",
        "occurred_on",
        "evidence",
        "evidence_name",
        "proposed_by_id",
        "approved_by_id",
        "created_at",
    ]
    table = connection.ops.quote_name(PointEntry._meta.db_table)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        table,
        ", ".join(connection.ops.quote_name(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    rows = [
        (
            e.town_id,
            e.village_id,
            e.household_id,
            e.kind,
            e.rule_id,
            e.points,
            e.nominal_points,
            e.note,
            ops.adapt_datefield_value(e.occurred_on),
            str(e.evidence or ""),
            e.evidence_name,
            e.proposed_by_id,
            e.approved_by_id,
            ops.adapt_datetimefield_value(e.created_at),
        )
        for e in entries
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def _poisson(rng, rate: float) -> int:
    """A small Poisson draw (Knuth), enough for yearly counts of a few."""
    import math

    limit, k, p = math.exp(-rate), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _shop(
    rng, household_id, village_id, grid_id, actor, day, balance, goods, stock, entries, sales
):
    """A visit to the counter: one or two articles the balance and the shelf allow."""
    for _n in range(rng.choice((1, 1, 2))):
        affordable = [g for g in goods if g.price <= balance and stock[g.pk] > 0]
        if not affordable:
            break
        good = rng.choice(affordable)
        quantity = max(1, min(stock[good.pk], balance // good.price, rng.choice((1, 1, 2, 3))))
        cost = good.price * quantity
        stock[good.pk] -= quantity
        balance -= cost
        sales.append((len(entries), good, quantity))
        entries.append(
            PointEntry(
                town_id=good.town_id,
                village_id=village_id,
                household_id=household_id,
                kind=EntryKind.REDEMPTION,
                points=-cost,
                nominal_points=-cost,
                note=f"{good.name}×{quantity}",
                occurred_on=day,
                proposed_by_id=actor,
                created_at=_moment(day, rng),
            )
        )
    return balance


def _pending_awards(town, rng, villages, rules_of, workers, now, evidence_name) -> None:
    """A few large awards waiting for approval, proposed through the service."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wangge.staff.models import User

    for village in villages[:6]:
        grid_worker = (
            RoleAssignment.objects.filter(role=Role.GRID_WORKER, grid__village=village)
            .order_by("grid__code")
            .first()
        )
        if grid_worker is None:
            continue
        actor = User.objects.get(pk=grid_worker.user_id)
        household = Household.objects.filter(grid_id=grid_worker.grid_id).order_by("number").first()
        large = [r for r in rules_of[village.pk] if r.code in ("A09", "A12")]
        if household is None or not large:
            continue
        services.record(
            actor,
            household,
            rng.choice(large),
            note="群众推荐，村两委初审",
            evidence=SimpleUploadedFile("evidence.jpg", _photo(), content_type="image/jpeg"),
            occurred_on=timezone.localdate(now) - timedelta(days=rng.randint(1, 6)),
            now=now,
        )


def _ratings(town, villages, leaders, today, now) -> None:
    from wangge.staff.models import User

    users = User.objects.in_bulk(list(leaders.values()))
    for village in villages:
        leader = users.get(leaders.get(village.pk))
        if leader is None:
            continue
        services.rate_year(leader, village, today.year, now=now)


def _best_families(town, rng, villages, leaders, workers, today, now) -> int:
    """Four nominations a village from its best-rated households, two selected."""
    year = today.year
    nominations = []
    for village in villages:
        leader = leaders.get(village.pk)
        best = list(
            StarRating.objects.filter(village=village, year=year)
            .order_by("-stars", "-awarded", "household_id")
            .values_list("household_id", "household__grid_id")[:4]
        )
        for rank, (household_id, grid_id) in enumerate(best):
            nominated_by = workers.get(grid_id) or leader
            if nominated_by is None:
                continue
            decided = _moment(max(date(year, 1, 1), today - timedelta(days=5)), rng)
            selected = rank < 2 and leader is not None
            nominations.append(
                FamilyNomination(
                    town=town,
                    village=village,
                    household_id=household_id,
                    year=year,
                    reason=rng.choice(DEEDS),
                    status=NominationStatus.SELECTED
                    if selected
                    else (NominationStatus.NOT_SELECTED if leader else NominationStatus.NOMINATED),
                    nominated_by_id=nominated_by,
                    nominated_at=_moment(max(date(year, 1, 1), today - timedelta(days=20)), rng),
                    decided_by_id=leader,
                    decided_at=decided if leader else None,
                )
            )
    FamilyNomination.objects.bulk_create(nominations, batch_size=BATCH)
    return sum(1 for n in nominations if n.status == NominationStatus.SELECTED)
