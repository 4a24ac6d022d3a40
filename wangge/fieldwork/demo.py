"""Field work in the demo town: a month of door-knock visits, the special team of 16
in 4 groups with its rota, a year of inspection rounds over the adits, venues and
enterprises, and the service stations with their items.

History is written with bulk inserts (what was done on site long ago); the recent
findings — which open cases — go through `services.record_visit` and
`services.check_in`, exactly as the pages do, so their cases come from intake.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases.choices import CategoryKind
from wangge.cases.models import Category
from wangge.fieldwork import services
from wangge.fieldwork.models import (
    DEFAULT_INSPECTION_DAYS,
    WATCHED_KINDS,
    Inspection,
    InspectionRound,
    InspectionSchedule,
    PlaceWatch,
    RotaDay,
    SealState,
    ServiceStation,
    TeamGroup,
    Visit,
    VisitPlan,
)
from wangge.grids.models import Grid, Place, PlaceKind
from wangge.residents.models import Household
from wangge.staff.models import Department, Role, RoleAssignment, User
from wangge.staff.services import assign_role

BATCH = 2000
TEAM_SIZE = 16
GROUPS = ["第一组", "第二组", "第三组", "第四组"]
TEAM_HEAD = "yanjingren"  # 闫靖仁, head of the town's emergency office (the brief)
GIVEN = [
    "建国",
    "国强",
    "志刚",
    "红伟",
    "晓东",
    "永军",
    "海涛",
    "丽娜",
    "春燕",
    "鹏飞",
    "文博",
    "俊杰",
    "国栋",
    "玉梅",
    "振华",
    "少华",
]
SURNAMES = [
    "闫",
    "李",
    "王",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "郭",
    "孙",
    "马",
    "宋",
    "韩",
    "董",
    "冯",
    "贾",
]
MEDIATORS = ["贾洁", "王书贤", "李红梅", "张德胜", "刘桂兰", "杨天佑"]
SUPERVISORS = ["夏萌", "闫靖仁", "孙卫东", "郭晓峰"]
VISIT_NOTES = [
    "家中情况正常，宣传防诈骗知识",
    "询问医保缴费情况，已讲解政策",
    "老人身体健康，子女每周来电",
    "反映村道路灯不亮，已记录",
    "宣传森林防火和安全用电",
    "了解务工收入，登记就业意愿",
    "讲解积分超市兑换办法",
    "询问饮水是否正常，答复正常",
]
VISIT_FINDINGS = [
    ("MS01", "自来水压力不足，早晚停水", "入户走访时群众反映"),
    ("MS02", "院内电线老化裸露", "存在触电隐患，建议供电所检查"),
    ("AQ05", "老宅后墙出现裂缝", "独居老人居住，需尽快查看"),
    ("JF01", "与邻居因排水沟起争执", "双方愿意调解"),
    ("ZC02", "咨询城乡居民医保报销比例", "需社保所答复"),
    ("MS03", "入户小路塌陷", "雨后塌陷约两米"),
]
INSPECTION_FINDINGS = {
    PlaceKind.SERVICE_VENUE: [
        ("AQ01", "安全出口堆放杂物", "已要求店主当场清理"),
        ("AQ01", "灭火器过期未更换", "限期三日内更换"),
        ("AQ01", "电动车在店内充电", "已责令整改"),
    ],
    PlaceKind.ENTERPRISE: [
        ("AQ02", "尾矿库排水设施淤堵", "汛前需清理"),
        ("HJ01", "厂区扬尘治理措施不到位", "洒水降尘设备停用"),
    ],
}
OPENING_HOURS = "周一至周五 8:00–12:00、14:30–17:30；周六上午 8:30–11:30"


def build(town, *, seed: int, now: datetime) -> list[tuple[str, int, object]]:
    """Fill the demo town's field work; deterministic for a seed. Returns summary rows."""
    rng = random.Random(f"{seed}:fieldwork")
    now = timezone.localtime(now)
    with transaction.atomic():
        services.sync_watches(town)
        for kind, days in DEFAULT_INSPECTION_DAYS.items():
            InspectionSchedule.objects.get_or_create(
                town=town, kind=kind, defaults={"interval_days": days}
            )
        VisitPlan.objects.bulk_create(
            [
                VisitPlan(town=town, grid=g)
                for g in Grid.objects.filter(town=town, visit_plan__isnull=True)
            ],
            batch_size=BATCH,
        )
        groups = _team(town, rng)
        _rota(town, groups, now)
        inspections = _inspection_history(town, groups, rng, now)
        visits = _visit_history(town, rng, now)
        stations = _stations(town, rng)
    with transaction.atomic():
        findings = _recent_findings(town, groups, rng, now)
    return _summary(town, now, inspections, visits, stations, findings)


# --- The special team -----------------------------------------------------------


def _team(town, rng: random.Random) -> list[TeamGroup]:
    existing = list(TeamGroup.objects.filter(town=town).order_by("sort"))
    if existing:
        return existing
    department = Department.objects.filter(town=town, code="yjb").first()
    head = User.objects.filter(username=TEAM_HEAD).first()
    password = make_password("wangge-demo")
    people = [head] if head else []
    n = 0
    while len(people) < TEAM_SIZE:
        n += 1
        username = f"zhuanban{n:02d}"
        full_name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username, password=password, town=town, full_name=full_name
            )
            if department is not None:
                assign_role(user, Role.DEPARTMENT, department=department, title="打非治违专班")
        people.append(user)
    groups = []
    for index, name in enumerate(GROUPS):
        members = people[index * 4 : index * 4 + 4]
        group = TeamGroup.objects.create(town=town, name=name, leader=members[0], sort=index)
        group.members.set(members)
        groups.append(group)
    # Each group covers a band of the town, west to east, about a quarter of the places.
    watches = list(
        PlaceWatch.objects.filter(town=town, place__kind__in=WATCHED_KINDS)
        .order_by("place__longitude", "place_id")
        .values_list("pk", flat=True)
    )
    quarter = -(-len(watches) // len(groups))
    for index, group in enumerate(groups):
        PlaceWatch.objects.filter(pk__in=watches[index * quarter : (index + 1) * quarter]).update(
            group=group
        )
    return groups


def _rota(town, groups, now) -> None:
    """Group on duty by the day, in turn, from a year ago to four weeks ahead."""
    first = now.date() - timedelta(days=365)
    days = [first + timedelta(days=k) for k in range(365 + 28)]
    RotaDay.objects.bulk_create(
        [
            RotaDay(
                town=town,
                day=day,
                group=groups[(day - first).days % len(groups)],
                note="24小时值班" if day.weekday() >= 5 else "",
            )
            for day in days
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )


# --- A year of inspections ------------------------------------------------------


def _jitter(rng, lat, lon, metres=40):
    return (
        lat + rng.uniform(-metres, metres) / 111_000,
        lon + rng.uniform(-metres, metres) / 92_000,
    )


def _daytime(rng, day) -> datetime:
    return day.replace(hour=rng.choice([8, 9, 10, 14, 15, 16]), minute=rng.randrange(60), second=0)


def _inspection_history(town, groups, rng: random.Random, now) -> int:
    """Rounds over the past year on each place's schedule; about one cycle in fifteen missed,
    and this month's not yet done everywhere."""
    if Inspection.objects.filter(town=town).exists():
        return Inspection.objects.filter(town=town).count()
    members = {g.pk: list(g.members.all()) for g in groups}
    days = services.intervals([town.pk])
    watches = PlaceWatch.objects.filter(town=town, place__kind__in=WATCHED_KINDS).select_related(
        "place"
    )
    start = now - timedelta(days=365)
    rounds: dict[tuple, InspectionRound] = {}
    pending = []
    for watch in watches:
        place = watch.place
        interval = days[(town.pk, place.kind)]
        team = members.get(watch.group_id) or [m for ms in members.values() for m in ms]
        moment = start + timedelta(days=rng.uniform(0, interval))
        while moment < now - timedelta(hours=2):
            if rng.random() >= 0.07:
                when = _daytime(rng, timezone.localtime(moment))
                if when < now:
                    key = (watch.group_id, when.date())
                    if key not in rounds:
                        rounds[key] = InspectionRound(
                            town=town,
                            day=when.date(),
                            group_id=watch.group_id,
                            started_by=team[0],
                        )
                    lat, lon = _jitter(rng, place.latitude, place.longitude)
                    distance = services.distance_m(lat, lon, place.latitude, place.longitude)
                    pending.append(
                        (
                            key,
                            Inspection(
                                town=town,
                                village_id=place.village_id,
                                grid_id=place.grid_id,
                                place=place,
                                inspector=rng.choice(team),
                                checked_in_at=when,
                                latitude=lat,
                                longitude=lon,
                                distance_m=round(distance, 1),
                                seal_state=SealState.SEALED
                                if place.kind == PlaceKind.SEALED_ADIT
                                else "",
                                notes="封堵完好，警示牌清晰"
                                if place.kind == PlaceKind.SEALED_ADIT
                                else "",
                            ),
                        )
                    )
            moment += timedelta(days=interval * rng.uniform(0.85, 1.0))
    InspectionRound.objects.bulk_create(list(rounds.values()), batch_size=BATCH)
    for key, inspection in pending:
        inspection.round = rounds[key]
    Inspection.objects.bulk_create([i for _key, i in pending], batch_size=BATCH)
    last = Inspection.objects.filter(place_id=OuterRef("place_id")).order_by().values("place_id")
    PlaceWatch.objects.filter(town=town).update(
        last_inspected_at=Subquery(last.annotate(m=Max("checked_in_at")).values("m")[:1]),
        seal_checked_at=Subquery(
            last.filter(seal_state__gt="").annotate(m=Max("checked_in_at")).values("m")[:1]
        ),
    )
    return len(pending)


# --- A month of visits ----------------------------------------------------------


def _visit_history(town, rng: random.Random, now) -> int:
    """Each grid worker's door-knocking over the last two months, mostly at breakfast
    and lunch; about 87 % of households met this month, the vulnerable nearly all."""
    if Visit.objects.filter(town=town).exists():
        return Visit.objects.filter(town=town, visited_at__gte=now - timedelta(days=30)).count()
    workers = dict(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, grid__town=town).values_list(
            "grid_id", "user_id"
        )
    )
    fallback = next(iter(workers.values()), None)
    if fallback is None:
        return 0
    vulnerable = set(
        Household.objects.filter(town=town)
        .filter(services.vulnerable_q())
        .values_list("pk", flat=True)
    )
    rows = []
    households = Household.objects.filter(town=town).values_list(
        "pk", "grid_id", "village_id", "latitude", "longitude"
    )
    for pk, grid_id, village_id, lat, lon in households.order_by("pk"):
        worker = workers.get(grid_id, fallback)
        for month_back, share in ((1, 0.82), (0, 0.87)):
            chance = 0.98 if pk in vulnerable else share
            if rng.random() >= chance:
                continue
            day = now - timedelta(days=30 * month_back + rng.uniform(0, 29.5))
            local = timezone.localtime(day)
            slot = rng.random()
            if slot < 0.45:
                when = local.replace(hour=6, minute=30 + rng.randrange(60) // 2)
            elif slot < 0.85:
                when = local.replace(hour=12, minute=rng.randrange(60))
            else:
                when = local.replace(hour=rng.choice([9, 10, 15, 16, 19]), minute=rng.randrange(60))
            if when >= now:
                when = now - timedelta(hours=rng.uniform(1, 20))
            nobody = rng.random() < 0.08
            in_window = when.hour in (6, 7, 12) or (when.hour == 13 and when.minute < 30)
            gps = lat is not None and rng.random() < 0.9
            rows.append(
                Visit(
                    town=town,
                    village_id=village_id,
                    grid_id=grid_id,
                    household_id=pk,
                    visited_at=when,
                    visited_by_id=worker,
                    mediator=rng.choice(MEDIATORS) if rng.random() < 0.25 else "",
                    supervisor=rng.choice(SUPERVISORS) if rng.random() < 0.1 else "",
                    nobody_home=nobody,
                    in_window=in_window,
                    latitude=lat + rng.uniform(-15, 15) / 111_000 if gps else None,
                    longitude=lon + rng.uniform(-15, 15) / 92_000 if gps else None,
                    notes="" if nobody else rng.choice(VISIT_NOTES),
                )
            )
            if nobody and rng.random() < 0.7:
                # Knocked again another day, and found them in.
                again = min(when + timedelta(days=rng.randint(1, 4)), now - timedelta(hours=1))
                rows.append(
                    Visit(
                        town=town,
                        village_id=village_id,
                        grid_id=grid_id,
                        household_id=pk,
                        visited_at=again.replace(hour=12, minute=rng.randrange(60))
                        if again.replace(hour=12) < now
                        else again,
                        visited_by_id=worker,
                        in_window=True,
                        notes=rng.choice(VISIT_NOTES),
                    )
                )
    _insert(Visit, rows)
    return sum(1 for v in rows if v.visited_at >= now - timedelta(days=30))


def _insert(model, objects) -> None:
    """Bulk insert without the ORM's per-value preparation (test data: tens of thousands
    of rows, every value already of its column's type); both SQLite and PostgreSQL."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for f in fields:
        if getattr(f, "auto_now_add", False):
            moment = timezone.now()
            for o in objects:
                setattr(o, f.attname, moment)
    adapt = connection.ops.adapt_datetimefield_value
    kinds = [f.get_internal_type() == "DateTimeField" for f in fields]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) VALUES ({marks})"
    )
    attnames = [f.attname for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objects), BATCH):
            cursor.executemany(
                sql,
                [
                    [
                        adapt(v) if is_time and v is not None else v
                        for v, is_time in zip((getattr(o, a) for a in attnames), kinds, strict=True)
                    ]
                    for o in objects[start : start + BATCH]
                ],
            )


# --- Recent findings (through the services: they open cases) -------------------


def _recent_findings(town, groups, rng: random.Random, now) -> dict[str, int]:
    counts = {"visit_cases": 0, "inspection_cases": 0, "breaches": 0}
    if Visit.objects.filter(town=town, cases__isnull=False).exists():
        return counts
    if not Category.objects.filter(code="AQ02").exists():
        from wangge.cases.catalogue import install_catalogue

        install_catalogue()
    # Door-knock findings over the last ten days, by the grid's own worker.
    workers = list(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, grid__town=town)
        .select_related("user", "grid")
        .order_by("grid__code")
    )
    for k, (code, title, detail) in enumerate(VISIT_FINDINGS * 2):
        if not workers:
            break
        assignment = workers[rng.randrange(len(workers))]
        ids = list(
            Household.objects.filter(grid=assignment.grid)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            continue
        household = Household.objects.get(pk=rng.choice(ids))
        when = now - timedelta(days=10 - k * 0.8, hours=rng.uniform(0, 3))
        when = timezone.localtime(when).replace(hour=12, minute=rng.randrange(50))
        if when >= now:
            when = now - timedelta(minutes=30)
        services.record_visit(
            assignment.user,
            household,
            latitude=household.latitude,
            longitude=household.longitude,
            notes=detail,
            mediator=rng.choice(MEDIATORS),
            findings=[{"category": code, "title": title, "description": detail}],
            visited_at=when,
            now=when,
        )
        counts["visit_cases"] += 1

    # Inspection findings and two seal breaches, by a member of the place's group.
    def inspect(watch, when, **kwargs):
        inspector = rng.choice(list(watch.group.members.all()))
        lat, lon = _jitter(rng, watch.place.latitude, watch.place.longitude, metres=25)
        return services.check_in(inspector, watch, latitude=lat, longitude=lon, now=when, **kwargs)

    watches = PlaceWatch.objects.filter(town=town, group__isnull=False).select_related(
        "place", "group"
    )
    for kind, findings in INSPECTION_FINDINGS.items():
        chosen = list(watches.filter(place__kind=kind).order_by("place__code", "pk"))
        rng.shuffle(chosen)
        for k, watch in enumerate(chosen[: len(findings) * 2]):
            code, title, detail = findings[k % len(findings)]
            when = _daytime(rng, timezone.localtime(now - timedelta(days=3 + k * 2)))
            inspect(watch, when, notes=detail, finding={"category": code, "title": title})
            counts["inspection_cases"] += 1
    adits = list(watches.filter(place__kind=PlaceKind.SEALED_ADIT).order_by("place__code"))
    rng.shuffle(adits)
    for days_ago, watch in zip((19, 2), adits[:2], strict=False):
        when = _daytime(rng, timezone.localtime(now - timedelta(days=days_ago)))
        inspect(
            watch,
            when,
            seal_state=SealState.BREACHED,
            notes="封堵墙被人为凿开约半米洞口，洞口有新鲜脚印和钎杆",
        )
        counts["breaches"] += 1
        counts["inspection_cases"] += 1
    # The older breach was sealed again within the week.
    if adits:
        later = _daytime(rng, timezone.localtime(now - timedelta(days=13)))
        inspect(adits[0], later, seal_state=SealState.SEALED, notes="已重新浇筑混凝土封堵")
    return counts


# --- Service stations ------------------------------------------------------------


def _stations(town, rng: random.Random) -> int:
    items = list(
        Category.objects.filter(kind=CategoryKind.SERVICE, parent__isnull=False, active=True)
    )
    if not items:
        from wangge.cases.catalogue import install_catalogue

        install_catalogue()
        items = list(
            Category.objects.filter(kind=CategoryKind.SERVICE, parent__isnull=False, active=True)
        )
    made = 0
    for place in Place.objects.filter(town=town, kind=PlaceKind.SERVICE_STATION).order_by("pk"):
        station, created = ServiceStation.objects.get_or_create(
            place=place,
            defaults={
                "town": town,
                "opening_hours": OPENING_HOURS,
                "phone": f"0379-6660{rng.randrange(1000, 9999)}",
            },
        )
        if created:
            made += 1
            if "社区" in place.name or "德亭村" in place.name:
                station.items.set(items)  # the community and the town seat: all 42
            else:
                # Village stations take in every item and settle most on the spot.
                offered = [i for i in items if rng.random() < 0.85]
                station.items.set(offered or items)
    return ServiceStation.objects.filter(town=town).count()


# --- Summary ---------------------------------------------------------------------


def _summary(town, now, inspections, visits, stations, findings) -> list[tuple[str, int, object]]:
    from wangge.dashboard.metrics import Period, Scope
    from wangge.dashboard.metrics.fieldwork import inspections as inspection_figures
    from wangge.dashboard.metrics.fieldwork import visit_coverage

    scope = Scope("town", town.pk, town.name, town.pk)
    month = Period(now - timedelta(days=30), now)
    coverage = visit_coverage(scope, month)
    figures = inspection_figures(scope, month)
    year = inspection_figures(scope, Period(now - timedelta(days=365), now))
    watches = PlaceWatch.objects.filter(town=town)
    members = User.objects.filter(team_groups__town=town).distinct().count()
    outside = len(
        services.households_outside(
            Household.objects.filter(town=town), ServiceStation.objects.filter(town=town)
        )
    )
    offered = Category.objects.filter(stations__town=town).distinct().count()
    return [
        (_("watched sealed mine adits"), watches.filter(place__kind="sealed_adit").count(), "192"),
        (_("watched service venues"), watches.filter(place__kind="service_venue").count(), "316"),
        (_("watched enterprises"), watches.filter(place__kind="enterprise").count(), "12"),
        (_("special team members"), members, "16"),
        (_("special team groups"), TeamGroup.objects.filter(town=town).count(), "4"),
        (_("inspections in the past year"), year["inspections"], ""),
        (
            _("places inspected on schedule, last 30 days (%)"),
            _pct(figures["on_schedule_rate"]),
            "",
        ),
        (_("inspection findings, past year"), year["findings"], ""),
        (_("seal breaches, past year"), year["seal_breaches"], ""),
        (_("door-knock visits, last 30 days"), coverage["visits"], ""),
        (_("visit coverage, last 30 days (%)"), _pct(coverage["coverage"]), ""),
        (_("cases opened on visits"), findings["visit_cases"], ""),
        (_("service stations"), stations, ""),
        (_("service items offered"), offered, "42"),
        (_("households outside a ten-minute walk"), outside, ""),
    ]


def _pct(rate) -> int:
    return round(rate * 100) if rate is not None else 0
