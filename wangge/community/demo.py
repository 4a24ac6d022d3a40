"""Reserve cadres and rectification projects for the demo town.

The brief: 德亭镇52名致富能手、退役军人、优秀农民工、返乡大学生成为村级后备干部;
网格指导员（镇派干部）评估考核村干部后备人选 — 贾洁 in 杨村, where 张峻瑜 (32,
大专, 村党支部副书记) is the reserve for party secretary. 杨村党支部 was named a
weak party organisation (软弱涣散) in February 2023; within a month it removed 42
illegal structures, cleared 300 m of river, put up 860 m of fence, painted
6,500 m² of wall, cleared 1,400 m³ of rubbish, widened 754 m of road and planted
45,000 trees; the label was removed on 25 August 2023.

Cadres and projects are written through the services (with the demo's `now`), so
every check a person meets also holds for the demo.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.community import services
from wangge.community.models import Criterion, RectificationTarget, ReserveCadre, Stage
from wangge.grids.models import Village
from wangge.residents.models import Resident
from wangge.staff.models import Role, RoleAssignment, User

RESERVE_CADRES = 52
WEAK_VILLAGE = "杨村"
# (what, unit, target): the brief's month of work in 杨村.
YANGCUN_TARGETS = [
    ("拆除违建", "间", 42),
    ("清理河道", "米", 300),
    ("扎篱笆", "米", 860),
    ("粉刷墙面", "平方米", 6500),
    ("清理垃圾", "立方米", 1400),
    ("加宽道路", "米", 754),
    ("栽植雪松、桃树等花木", "棵", 45000),
]
YANGCUN_START = date(2023, 2, 20)
YANGCUN_DUE = date(2023, 8, 25)

BACKGROUNDS = [
    ("entrepreneur", 16, ["柴胡种植大户", "香菇种植合作社理事长", "农家乐经营户", "养殖大户"]),
    ("veteran", 12, ["退役军人", "民兵连长"]),
    ("migrant_worker", 12, ["返乡创业优秀农民工", "建筑工程队负责人"]),
    ("graduate", 12, ["返乡大学生", "大学生村官"]),
]
COMMENTS = [
    "政治立场坚定，群众基础好，建议重点培养。",
    "工作积极主动，在产业发展中发挥带头作用。",
    "熟悉村情民意，处理邻里纠纷公道正派。",
    "学历较高、思路清晰，需加强群众工作经验。",
    "参与网格巡查和人居环境整治表现突出。",
    "带动群众增收成效明显，可安排到村“两委”试岗。",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢闫贾"
GIVEN_MALE = ["建军", "志强", "晓东", "海涛", "鹏飞", "国栋", "文博", "宏伟", "振华", "浩然"]
GIVEN_FEMALE = ["丽娜", "晓燕", "春梅", "雅琴", "佳慧", "静怡", "玉洁", "梦瑶"]


def build(town, *, seed: int, now) -> list[tuple[str, int, object]]:
    """Register 52 reserve cadres with assessments and 杨村's rectification project."""
    rng = random.Random(f"community-{seed}")
    today = timezone.localdate(now)
    villages = list(Village.objects.filter(town=town).order_by("code"))
    users = _users(town)
    cadres = _cadres(town, rng, villages, users, today, now)
    assessments = _assess(rng, cadres, users, today, now)
    projects = _projects(town, rng, villages, users, today, now)
    return [
        (_("reserve cadres"), len(cadres), "52"),
        (_("reserve-cadre assessments by instructors"), assessments, ""),
        (_("rectification projects"), projects, ""),
        (
            _("杨村: illegal structures removed"),
            _done(town, WEAK_VILLAGE, "拆除违建"),
            "42间",
        ),
        (_("杨村: trees planted"), _done(town, WEAK_VILLAGE, "栽植雪松、桃树等花木"), "4.5万棵"),
    ]


def _users(town) -> dict:
    """The grid leader and the instructors of each village, and the town admin."""
    leaders, instructors = {}, {}
    for a in RoleAssignment.objects.filter(user__town=town).select_related("grid", "user"):
        if a.role == Role.GRID_LEADER and a.village_id:
            leaders.setdefault(a.village_id, a.user)
        elif a.role == Role.GRID_INSTRUCTOR and a.grid_id:
            # 贾洁 (jiajie) is the brief's instructor of 杨村: she assesses there.
            if a.user.username == "jiajie":
                instructors[a.grid.village_id] = a.user
            else:
                instructors.setdefault(a.grid.village_id, a.user)
    admin = (
        User.objects.filter(role_assignments__role=Role.ADMIN, role_assignments__town=town)
        .order_by("pk")
        .first()
    )
    return {"leaders": leaders, "instructors": instructors, "admin": admin}


def _registrar(users, village):
    return users["leaders"].get(village.pk) or users["admin"]


def _cadres(town, rng, villages, users, today, now) -> list[ReserveCadre]:
    if not villages:
        return []
    made = []
    yangcun = next((v for v in villages if v.name == WEAK_VILLAGE), villages[0])
    registrar = _registrar(users, yangcun)
    named = Resident.objects.filter(household__village=yangcun, name="张峻瑜").first()
    if registrar is not None:
        made.append(
            services.register_cadre(
                registrar,
                yangcun,
                name="张峻瑜",
                gender="male",
                birth_year=1991,  # 32 in 2023, as the brief has it
                education="vocational",
                background="village_official",
                resident=named,
                party_member=True,
                current_post="村党支部副书记",
                target_post="村党支部书记",
                registered_on=min(today, date(2023, 3, 1)),
                note="已挑起大梁，得到群众认可",
                now=now,
            )
        )
    plan = [(bg, posts) for bg, n, posts in BACKGROUNDS for _n in range(n)]
    rng.shuffle(plan)
    for i, (background, posts) in enumerate(plan[: RESERVE_CADRES - len(made)]):
        village = villages[i % len(villages)]
        registrar = _registrar(users, village)
        if registrar is None:
            continue
        female = rng.random() < 0.3
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        age = rng.randint(24, 30) if background == "graduate" else rng.randint(28, 45)
        cadre = services.register_cadre(
            registrar,
            village,
            name=name,
            gender="female" if female else "male",
            birth_year=today.year - age,
            education=rng.choice(
                ["bachelor", "vocational"]
                if background == "graduate"
                else ["junior", "senior", "senior", "vocational"]
            ),
            background=background,
            party_member=rng.random() < 0.6,
            current_post=rng.choice(posts),
            target_post=rng.choice(["村“两委”委员", "村委会副主任", "村党支部委员"]),
            registered_on=today - timedelta(days=rng.randint(200, 900)),
            now=now,
        )
        made.append(cadre)
    stages = [Stage.REGISTERED, Stage.TRAINING, Stage.TRAINING, Stage.ON_TRIAL, Stage.READY]
    for cadre in made:
        stage = Stage.READY if cadre.name == "张峻瑜" else rng.choice(stages)
        ReserveCadre.objects.filter(pk=cadre.pk).update(stage=stage)
        cadre.stage = stage
    return made


def _assess(rng, cadres, users, today, now) -> int:
    """Quarterly assessments by the instructor of the cadre's village."""
    count = 0
    for cadre in cadres:
        instructor = users["instructors"].get(cadre.village_id)
        if instructor is None:
            continue
        base = rng.randint(13, 18)
        quarters = rng.randint(1, 4)
        for q in range(quarters, 0, -1):
            on = today - timedelta(days=91 * q - rng.randint(0, 20))
            if on < cadre.registered_on:
                continue
            scores = {
                c.value: max(8, min(20, base + rng.randint(-2, 2) + (quarters - q) // 2))
                for c in Criterion
            }
            services.assess(
                instructor,
                cadre,
                scores=scores,
                comment=rng.choice(COMMENTS),
                assessed_on=on,
                now=now,
            )
            count += 1
    return count


def _projects(town, rng, villages, users, today, now) -> int:
    made = 0
    yangcun = next((v for v in villages if v.name == WEAK_VILLAGE), None)
    if yangcun is not None and today >= YANGCUN_DUE:
        actor = _registrar(users, yangcun)
        if actor is not None:
            project = services.create_project(
                actor,
                yangcun,
                title="杨村软弱涣散党组织整顿·人居环境集中整治",
                reason="2023年2月杨村党支部被认定为软弱涣散党组织，原因之一是环境卫生差。"
                "网格长、微网格长带头拆除外盖厕所。",
                started_on=YANGCUN_START,
                due_on=YANGCUN_DUE,
                targets=YANGCUN_TARGETS,
            )
            # Weekly reports over the month of work: the brief's totals by 20 March 2023.
            for target in RectificationTarget.objects.filter(project=project):
                shares = [0.2, 0.45, 0.75, 1.0]
                for week, share in enumerate(shares):
                    services.report_progress(
                        actor,
                        target,
                        on=YANGCUN_START + timedelta(days=7 * (week + 1)),
                        cumulative=round(target.target * share),
                        note="网格长、微网格长带头" if week == 0 else "",
                        now=now,
                    )
            made += 1
    # A project under way, so the dashboard shows one in progress (synthetic).
    others = [v for v in villages if v.name != WEAK_VILLAGE and v.kind == "village"]
    if others:
        village = others[rng.randrange(len(others))]
        actor = _registrar(users, village)
        if actor is not None:
            start = today - timedelta(days=40)
            project = services.create_project(
                actor,
                village,
                title=f"{village.name}人居环境整治提升",
                reason="对照杨村经验，集中整治村容村貌（演示数据）",
                started_on=start,
                due_on=today + timedelta(days=50),
                targets=[
                    ("拆除违建", "间", 18),
                    ("清理垃圾", "立方米", 600),
                    ("粉刷墙面", "平方米", 3000),
                    ("栽植花木", "棵", 12000),
                ],
            )
            for target in RectificationTarget.objects.filter(project=project):
                pace = rng.uniform(0.8, 1.1)
                for week, share in enumerate((0.15, 0.3, 0.42, 0.55)):
                    services.report_progress(
                        actor,
                        target,
                        on=start + timedelta(days=7 * (week + 1)),
                        cumulative=round(target.target * share * pace),
                        now=now,
                    )
            made += 1
    return made


def _done(town, village_name, target_name) -> int:
    target = RectificationTarget.objects.filter(
        project__town=town, project__village__name=village_name, name=target_name
    ).first()
    return target.done if target else 0
