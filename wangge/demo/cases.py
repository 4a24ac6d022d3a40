"""A year of cases for the demo town, driven through the lifecycle with a simulated clock.

Every case is reported with `intake.report` and moved with the lifecycle
functions, each call given its moment in the past year — no raw inserts — so
events, deadlines, notices and figures are exactly what real use would leave.
The year echoes the brief: 245 safety hazards reported, 62 disputes settled
jointly by police and grid, 285 livelihood matters through the four-step
dispatch, 130+ disputes, emergencies answered within 15 minutes, about 95 %
satisfied; the same period a year earlier has 42 % more petitions and 58 %
more public-order cases. A live tail of open cases at every stage and traffic
light makes the demo look like a working day.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from wangge.cases import lifecycle as lc
from wangge.cases.choices import OPEN_STATES, Rating
from wangge.cases.errors import CaseError
from wangge.cases.intake import report
from wangge.cases.models import Case, Category, Notice
from wangge.cases.rules import REPORTER
from wangge.cases.worker import sweep
from wangge.grids.models import Grid, Town
from wangge.residents.models import Household
from wangge.staff.models import Department, Role, RoleAssignment

SH = ZoneInfo("Asia/Shanghai")

# (category prefix, how many in the year, how they are handled: share per route)
YEAR = [
    # 245 in the brief: the field-work demo's inspections report about 15 more
    # (wangge.fieldwork.demo), and the live tail a few.
    ("AQ", 231, {"four_step": 0.5, "on_site": 0.3, "village": 0.2}),
    ("JF", 135, {"joint": 62 / 135, "village": 0.3, "four_step": 1 - 62 / 135 - 0.3}),
    ("MS", 285, {"four_step": 1.0}),
    ("ZA", 50, {"police": 1.0}),
    ("HJ", 40, {"four_step": 0.6, "on_site": 0.4}),
    ("ZC", 60, {"on_site": 0.8, "four_step": 0.2}),
    ("XF", 45, {"four_step": 0.7, "village": 0.3}),
    ("TF", 36, {"emergency": 1.0}),
    ("BM", 300, {"four_step": 1.0}),
]
# The same period a year earlier, for year-over-year figures (信访 −42 %, 治安 −58 %).
LAST_YEAR = [
    ("XF", round(45 / 0.58), {"four_step": 1.0}),
    ("ZA", round(50 / 0.42), {"police": 1.0}),
]

TITLES = {
    "AQ01": ["村委会旁柴草堆放靠近电线", "农户违规使用电暖器", "小卖部灭火器过期"],
    "AQ02": ["废弃矿洞封堵石墙松动", "矿区道路旁发现新挖洞口", "封闭矿洞口警示牌缺失"],
    "AQ03": ["山路急弯处护栏损坏", "乡道落石未清理", "桥头限高杆倾斜"],
    "AQ04": ["河道堆积杂物影响行洪", "塘坝坝体出现渗水", "排洪沟堵塞"],
    "AQ05": ["独居老人土坯房墙体开裂", "危房改造户屋顶漏雨", "学校围墙倾斜"],
    "AQ06": ["后山出现裂缝有滑坡风险", "雨后路边山体落石"],
    "JF01": ["邻居加盖彩钢瓦占用通道", "排水沟改道引发邻里矛盾", "宅基地边界围墙争执"],
    "JF02": ["山林地界不清发生争执", "承包地流转费用纠纷"],
    "JF03": ["赡养老人费用分摊纠纷", "夫妻矛盾需调解"],
    "JF04": ["务工人员工资被拖欠", "工地包工头欠薪"],
    "MS01": ["自来水管冬季冻裂", "组里饮水池水质浑浊", "供水时断时续"],
    "MS02": ["组里电压不稳", "线路老化需更换", "路灯不亮"],
    "MS03": ["通组道路坑洼", "村道被雨水冲毁", "桥面破损"],
    "MS04": ["垃圾清运不及时", "村口污水横流", "公厕无人保洁"],
    "ZA01": ["老人接到冒充公检法电话", "村民收到刷单返利信息"],
    "ZA02": ["农户家中电动车被盗", "药材晾晒场柴胡被盗"],
    "ZA03": ["夜间有外地车辆可疑停留", "网吧接纳未成年人"],
    "HJ01": ["选矿厂废水外排", "秸秆焚烧"],
    "HJ02": ["有人盗伐松树", "林区私自开荒"],
    "HJ03": ["耕地上违法建房", "河道旁私搭乱建"],
    "ZC01": ["咨询危房改造补助政策", "咨询脱贫户帮扶政策"],
    "ZC02": ["咨询城乡居民养老保险缴费档次", "咨询大病医保报销"],
    "ZC03": ["咨询柴胡种植补贴", "咨询耕地地力保护补贴"],
    "XF01": ["反映低保评定不公", "反映征地补偿未到位"],
    "XF02": ["网上反映村务不公开", "反映道路硬化工程质量"],
    "TF01": ["老人突发疾病子女在外地", "村民劳作时晕倒"],
    "TF02": ["山林起火", "农户厨房起火"],
    "TF03": ["矿区发现人员擅自进入封闭矿洞", "矿洞口塌陷"],
    "TF04": ["老人正被冒充客服诈骗转账", "县公安局反诈预警：老人可能被骗"],
}


@dataclass
class Cast:
    town: Town
    dispatchers: list = field(default_factory=list)
    workers: dict = field(default_factory=dict)  # grid id → user
    leaders: dict = field(default_factory=dict)  # village id → user
    instructors: dict = field(default_factory=dict)  # grid id → user
    police: dict = field(default_factory=dict)  # village id → user
    staff: dict = field(default_factory=lambda: defaultdict(list))  # department code → users
    departments: dict = field(default_factory=dict)  # code → Department
    grids: list = field(default_factory=list)
    households: dict = field(default_factory=dict)  # grid id → [household id]


def _cast(town: Town) -> Cast:
    cast = Cast(town=town)
    assignments = RoleAssignment.objects.filter(user__town=town).select_related(
        "user", "department", "beat"
    )
    for a in assignments:
        if a.role == Role.DISPATCHER:
            cast.dispatchers.append(a.user)
        elif a.role == Role.GRID_WORKER:
            cast.workers[a.grid_id] = a.user
        elif a.role == Role.GRID_LEADER:
            cast.leaders[a.village_id] = a.user
        elif a.role == Role.GRID_INSTRUCTOR:
            cast.instructors.setdefault(a.grid_id, a.user)
        elif a.role == Role.DEPARTMENT:
            cast.staff[a.department.code].append(a.user)
        elif a.role == Role.POLICE:
            for village_id in a.beat.villages.values_list("id", flat=True):
                cast.police.setdefault(village_id, a.user)
    cast.departments = {d.code: d for d in Department.objects.filter(town=town)}
    cast.grids = list(Grid.objects.filter(town=town).order_by("code"))
    for grid_id, household_id in Household.objects.filter(town=town).values_list("grid_id", "id"):
        cast.households.setdefault(grid_id, []).append(household_id)
    return cast


class Story:
    """One case told through the lifecycle, step by step, each step a little later."""

    def __init__(
        self, cast: Cast, rng: random.Random, category: Category, start: datetime, end: datetime
    ):
        self.cast, self.rng, self.category = cast, rng, category
        self.now = start
        self.end = end
        self.grid = rng.choice(cast.grids)
        self.worker = cast.workers[self.grid.pk]
        self.leader = cast.leaders.get(self.grid.village_id)
        self.dispatcher = rng.choice(cast.dispatchers)
        self.case: Case | None = None

    def later(self, low: float, high: float) -> datetime:
        """Move the story's clock on by low–high minutes (never past the end)."""
        self.now = min(self.now + timedelta(minutes=self.rng.uniform(low, high)), self.end)
        return self.now

    def report(self, channel: str | None = None, actor=None) -> Case:
        rng = self.rng
        lon, lat = self.grid.centroid_lon, self.grid.centroid_lat
        jitter = 0.002
        titles = TITLES.get(self.category.code) or [self.category.name]
        channel = channel or rng.choice(["web", "web", "hotline", "patrol", "patrol", "visit"])
        resident = None
        households = self.cast.households.get(self.grid.pk)
        if channel in ("web", "hotline") and households:
            from wangge.residents.models import Resident

            resident = Resident.objects.filter(household_id=rng.choice(households)).first()
        self.case = report(
            actor=actor or (REPORTER if channel in ("web",) else self.worker),
            category=self.category,
            title=rng.choice(titles) if self.category.kind == "problem" else self.category.name,
            description=self.category.name,
            channel=channel,
            longitude=lon + rng.uniform(-jitter, jitter),
            latitude=lat + rng.uniform(-jitter, jitter),
            grid=self.grid,
            town=self.cast.town,
            reporter_resident=resident,
            reporter_name=resident.name if resident else "",
            now=self.now,
        )
        return self.case

    def department(self):
        code = self.category.default_department_code or "zzzx"
        if code not in self.cast.departments:
            code = "zzzx"
        staff = self.cast.staff.get(code) or self.cast.staff["zzzx"]
        return self.cast.departments[code], self.rng.choice(staff)

    def rate(self) -> None:
        roll = self.rng.random()
        rating = (
            Rating.SATISFIED
            if roll < 0.82
            else Rating.BASIC
            if roll < 0.955
            else Rating.UNSATISFIED
        )
        lc.rate(self.case, REPORTER, rating=rating, now=self.later(60, 60 * 48))


def _four_step(s: Story, *, police=False) -> None:
    case = s.report()
    accepter = s.worker
    lc.accept(case, accepter, now=s.later(5, 300))
    if police and s.cast.police.get(s.grid.village_id):
        lc.check_in(
            case,
            s.cast.police[s.grid.village_id],
            latitude=case.latitude,
            longitude=case.longitude,
            now=s.later(10, 90),
        )
    lc.send_to_town(case, s.worker, reason="需镇里协调相关部门处置", now=s.later(10, 240))
    department, staff = s.department()
    if s.rng.random() < 0.04:
        other = s.rng.choice(
            [
                d
                for code, d in s.cast.departments.items()
                if code != department.code and s.cast.staff.get(code)
            ]
        )
        lc.dispatch(case, s.dispatcher, lead=other, now=s.later(10, 120))
        lc.return_case(
            case,
            s.rng.choice(s.cast.staff[other.code]),
            reason="不属于本部门职责，请重新派单",
            now=s.later(30, 300),
        )
    co = []
    if s.rng.random() < 0.15:
        co = [
            d
            for code, d in s.cast.departments.items()
            if code in ("zzzx", "sfs") and code != department.code
        ][:1]
    lc.dispatch(case, s.dispatcher, lead=department, co=co, now=s.later(10, 180))
    lc.claim(case, staff, now=s.later(10, 240))
    if s.rng.random() < 0.06:
        lc.request_extension(
            case, staff, minutes=3 * 420, reason="需等待材料到货", now=s.later(60, 600)
        )
        lc.approve_extension(case, s.dispatcher, now=s.later(10, 120))
    lc.resolve(case, staff, result="已按要求处置完毕", now=s.later(120, 60 * 24 * 4))
    if s.rng.random() < 0.04:
        lc.rework(case, s.worker, reason="现场核查未完全整改", now=s.later(60, 600))
        lc.resolve(case, staff, result="已重新整改到位", now=s.later(120, 60 * 24 * 2))
    lc.verify(case, s.worker, note="现场核查属实", now=s.later(30, 60 * 24))
    s.rate()


def _on_site(s: Story) -> None:
    case = s.report()
    lc.accept(case, s.worker, now=s.later(5, 120))
    lc.resolve_on_site(case, s.worker, result="网格员现场协调解决", now=s.later(20, 60 * 24))
    lc.verify(case, s.worker, now=s.later(30, 60 * 8))
    s.rate()


def _village(s: Story) -> None:
    case = s.report()
    lc.accept(case, s.worker, now=s.later(5, 120))
    lc.escalate(case, s.worker, reason="需村两委出面协调", now=s.later(30, 300))
    lc.resolve_on_site(
        case, s.leader or s.worker, result="村两委协调解决", now=s.later(60, 60 * 24 * 3)
    )
    lc.verify(case, s.worker, now=s.later(30, 60 * 8))
    s.rate()


def _joint(s: Story) -> None:
    """警网共同化解: the grid worker and the community officer settle a dispute together."""
    case = s.report(channel="patrol")
    officer = s.cast.police.get(s.grid.village_id)
    lc.accept(case, s.worker, now=s.later(5, 60))
    lc.check_in(
        case, s.worker, latitude=case.latitude, longitude=case.longitude, now=s.later(5, 30)
    )
    if officer:
        lc.check_in(
            case, officer, latitude=case.latitude, longitude=case.longitude, now=s.later(2, 15)
        )
    lc.resolve_on_site(
        case, s.worker, result="网格员与驻村民警现场调解，双方达成一致", now=s.later(10, 120)
    )
    lc.verify(case, s.worker, now=s.later(30, 600))
    s.rate()


def _police(s: Story) -> None:
    _four_step(s, police=True)


def _emergency(s: Story) -> None:
    """Answered within 15 minutes: the officer or grid worker accepts and is on scene."""
    case = s.report(
        channel=s.rng.choice(["hotline", "police_directive", "patrol"]), actor=s.dispatcher
    )
    officer = s.cast.police.get(s.grid.village_id)
    first = officer if officer and s.rng.random() < 0.6 else s.worker
    lc.accept(case, first, now=s.later(1, 6))
    lc.check_in(case, first, latitude=case.latitude, longitude=case.longitude, now=s.later(3, 8))
    if s.rng.random() < 0.3:
        department, _ = s.department()
        lc.summon(case, s.dispatcher, departments=[department], now=s.later(1, 5))
        staff = s.cast.staff.get(department.code)
        if staff:
            lc.check_in(
                case,
                s.rng.choice(staff),
                latitude=case.latitude,
                longitude=case.longitude,
                now=s.later(5, 25),
            )
    lc.resolve_on_site(case, s.worker, result="已及时处置，险情排除", now=s.later(20, 240))
    lc.verify(case, s.worker, now=s.later(30, 600))
    s.rate()


ROUTES = {
    "four_step": _four_step,
    "on_site": _on_site,
    "village": _village,
    "joint": _joint,
    "police": _police,
    "emergency": _emergency,
}


def _categories(prefix: str) -> list[Category]:
    return list(
        Category.objects.filter(code__startswith=prefix, parent__isnull=False).order_by("code")
    )


def _daytime(rng: random.Random, day: datetime) -> datetime:
    hour = rng.choices(range(6, 22), weights=[1, 3, 6, 8, 8, 7, 4, 5, 7, 7, 6, 5, 4, 3, 2, 1])[0]
    return day.replace(hour=hour, minute=rng.randrange(60), second=0, microsecond=0)


def tell_year(town: Town, *, seed: int, now: datetime, progress=None) -> dict[str, int]:
    """Report and settle the year's cases; returns counts per route."""
    rng = random.Random(seed * 7919 + 11)
    cast = _cast(town)
    counts: dict[str, int] = defaultdict(int)
    plans = [(prefix, count, routes, 365) for prefix, count, routes in YEAR]
    plans += [(prefix, count, routes, 730) for prefix, count, routes in LAST_YEAR]
    stories = []
    for prefix, count, routes, days_back in plans:
        categories = _categories(prefix)
        names = list(routes)
        weights = [routes[n] for n in names]
        for _ in range(count):
            back = (
                rng.uniform(days_back - 365 + 3, days_back)
                if days_back > 365
                else rng.uniform(3, 365)
            )
            start = _daytime(rng, (now - timedelta(days=back)).astimezone(SH))
            stories.append((start, rng.choice(categories), rng.choices(names, weights)[0]))
    stories.sort(key=lambda item: item[0])
    for index, (start, category, route) in enumerate(stories):
        story = Story(cast, rng, category, start, now - timedelta(hours=2))
        try:
            ROUTES[route](story)
        except CaseError:
            # A step the rules refused (e.g. a late story hitting the end of
            # the year): the case stays where it got to, as in real life.
            counts["stopped"] += 1
        counts[route] += 1
        if progress:
            progress(index + 1, len(stories))
    return dict(counts)


def tell_live_tail(town: Town, *, seed: int, now: datetime) -> int:
    """Open cases at every stage and traffic light, as on a working morning."""
    rng = random.Random(seed * 104729 + 3)
    cast = _cast(town)
    made = 0
    pools = {p: _categories(p) for p in ("AQ", "JF", "MS", "ZA", "HJ", "ZC", "BM", "TF")}

    def story(prefix, minutes_ago):
        return Story(
            cast, rng, rng.choice(pools[prefix]), now - timedelta(minutes=minutes_ago), now
        )

    # Just reported: green, yellow (most of a working day used) and red (overdue).
    for prefix, ago in [
        ("MS", 20),
        ("AQ", 45),
        ("ZC", 90),
        ("HJ", 60 * 6),
        ("JF", 60 * 20),
        ("MS", 60 * 30),
        ("BM", 60 * 50),
    ]:
        story(prefix, ago).report()
        made += 1
    # Accepted in the grid, being worked on.
    for prefix, ago in [("JF", 60 * 3), ("AQ", 60 * 26), ("ZC", 60 * 24 * 8)]:
        s = story(prefix, ago)
        s.report()
        lc.accept(s.case, s.worker, now=s.later(10, 40))
        made += 1
    # Sent to the town, waiting for dispatch.
    for prefix, ago in [("MS", 60 * 2), ("AQ", 60 * 30)]:
        s = story(prefix, ago)
        s.report()
        lc.accept(s.case, s.worker, now=s.later(10, 30))
        lc.send_to_town(s.case, s.worker, reason="需镇里派单", now=s.later(10, 30))
        made += 1
    # Dispatched, not yet claimed; claimed and being handled; one with an extension waiting.
    for prefix, ago, stage in [
        ("MS", 60 * 5, "dispatched"),
        ("BM", 60 * 40, "dispatched"),
        ("MS", 60 * 24 * 3, "claimed"),
        ("AQ", 60 * 24 * 12, "claimed"),
        ("BM", 60 * 24 * 4, "extension"),
    ]:
        s = story(prefix, ago)
        s.report()
        lc.accept(s.case, s.worker, now=s.later(10, 30))
        lc.send_to_town(s.case, s.worker, reason="需镇里派单", now=s.later(10, 30))
        department, staff = s.department()
        lc.dispatch(s.case, s.dispatcher, lead=department, now=s.later(10, 60))
        if stage != "dispatched":
            lc.claim(s.case, staff, now=s.later(10, 60))
        if stage == "extension":
            lc.request_extension(
                s.case, staff, minutes=2 * 420, reason="材料未到，申请延期", now=s.later(60, 120)
            )
        made += 1
    # Resolved, waiting for the grid to verify.
    for prefix, ago in [("MS", 60 * 8), ("HJ", 60 * 24 * 3)]:
        s = story(prefix, ago)
        s.report()
        lc.accept(s.case, s.worker, now=s.later(10, 30))
        lc.resolve_on_site(s.case, s.worker, result="已处置，待核查", now=s.later(30, 120))
        made += 1
    # Suspended until the spring; an emergency unfolding right now.
    s = story("AQ", 60 * 24 * 5)
    s.report()
    lc.accept(s.case, s.worker, now=s.later(10, 30))
    lc.suspend(
        s.case,
        s.dispatcher,
        reason="冻土期无法施工，开春后处置",
        resume_at=now + timedelta(days=60),
        now=s.later(30, 60),
    )
    made += 1
    s = story("TF", 6)
    s.report(channel="police_directive", actor=s.dispatcher)
    officer = cast.police.get(s.grid.village_id)
    if officer:
        lc.accept(s.case, officer, now=s.later(1, 3))
    made += 1
    return made


def settle_overdue(now: datetime) -> None:
    """Let the worker do what it would have done by now (warnings, escalations)."""
    for _ in range(5):
        if not sweep(now=now).checked:
            break


def build_cases(town: Town, *, seed: int, now: datetime, progress=None) -> dict[str, int]:
    """The year of cases and the live tail, in one transaction (all or nothing)."""
    from django.db import transaction

    with transaction.atomic():
        counts = tell_year(town, seed=seed, now=now, progress=progress)
        counts["live_tail"] = tell_live_tail(town, seed=seed, now=now)
        settle_overdue(now)
        # Notices about finished cases were read long ago.
        Notice.objects.filter(town=town, read_at=None).exclude(case__state__in=OPEN_STATES).update(
            read_at=now
        )
    return counts


def year_figures(town: Town, now: datetime) -> list[tuple[str, object, str]]:
    """The demo year against the brief: (what, built, brief)."""
    from django.db.models import Count, Q
    from django.utils.translation import gettext as _

    from wangge.dashboard.metrics import emergency_response

    year = Case.objects.filter(town=town, reported_at__gte=now - timedelta(days=365))
    joint = (
        year.filter(
            category__code__startswith="JF",
            events__action="check_in",
            events__actor__role_assignments__role=Role.POLICE,
        )
        .values("pk")
        .distinct()
        .count()
    )
    rated = year.exclude(rating="").aggregate(
        n=Count("id"), good=Count("id", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASIC]))
    )
    emergencies = emergency_response(year)
    return [
        (_("safety hazards reported"), year.filter(category__code__startswith="AQ").count(), "245"),
        (_("disputes settled jointly by police and grid"), joint, "62"),
        (
            _("livelihood matters through the four-step dispatch"),
            year.filter(category__code__startswith="MS", dispatched_at__isnull=False).count(),
            "285",
        ),
        (_("disputes handled"), year.filter(category__code__startswith="JF").count(), "130+"),
        (
            _("emergencies on scene within 15 minutes"),
            f"{emergencies['on_scene_in_time']}/{emergencies['total']}",
            _("all"),
        ),
        (
            _("satisfied or basically satisfied"),
            f"{100 * rated['good'] / rated['n']:.1f} %" if rated["n"] else "—",
            "95 %",
        ),
        (_("open cases now"), Case.objects.filter(town=town).open().count(), ""),
    ]
