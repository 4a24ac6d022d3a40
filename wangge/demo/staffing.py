"""Who works in the demo town: every role, with the people the brief names.

Pure planning, no database. Usernames are ASCII: the brief's people go by
their pinyin (jiajie, liubaolin …), everyone else by what they do
(`yangcun.g03` is the grid worker of 杨村第三网格).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np

from wangge.demo import names
from wangge.demo.layout import GridPlan, Land, VillagePlan, apportion

# Departments: code → (name, what it handles, how many staff besides a named head).
DEPARTMENTS = {
    "pcs": ("德亭派出所", "治安、矛盾纠纷、反诈、户籍", 2),
    "yjb": ("应急办", "安全生产、打非治违、防汛、突发事件", 2),
    "sfs": ("司法所", "人民调解、法律援助、社区矫正", 2),
    "zrzys": ("自然资源所", "土地、矿产资源、违法占地", 2),
    "nyfw": ("农业服务中心", "农技推广、种植养殖、农资", 2),
    "wsy": ("德亭镇卫生院", "医疗救治、公共卫生、家庭医生", 2),
    "gds": ("德亭供电所", "供电、线路隐患", 1),
    "mzb": ("民政办", "低保、特困供养、养老、残疾人", 2),
    "xfb": ("信访办", "信访接待、矛盾化解", 1),
    "zzzx": ("综治中心", "综合治理、网格管理、平安建设", 2),
    "sbs": ("社保所", "养老保险、医疗保险、就业", 1),
    "scjgs": ("市场监管所", "食品安全、市场秩序、特种设备", 2),
    "slz": ("水利站", "水利设施、饮水安全", 1),
    "lyz": ("林业站", "森林防火、林木管护", 1),
    "cjb": ("城建办", "村镇建设、违章建筑、人居环境", 1),
    "hbs": ("环保所", "生态环境、污染防治", 1),
}

# The people the brief names (贾洁 the instructor of 杨村, 刘宝林 its police
# officer, 夏波 head of the police station, 闫靖仁 of the emergency office,
# 夏萌 the party secretary, 张峻瑜 and 闫春民 of 杨村), and a few fixed
# names so the demo logins never change: username → full name.
NAMED = {
    "jiajie": "贾洁",
    "liubaolin": "刘宝林",
    "xiabo": "夏波",
    "yanjingren": "闫靖仁",
    "xiameng": "夏萌",
    "zhangjunyu": "张峻瑜",
    "yanchunmin": "闫春民",
    "yangcun.leader": "杨国强",
    "dispatcher1": "郭晓静",
    "town-admin": "孙立新",
}


@dataclass(eq=False)
class Duty:
    role: str
    title: str
    grid: GridPlan | None = None
    micro: int | None = None  # index into grid.micro
    village: VillagePlan | None = None
    beat: int | None = None  # index into StaffPlan.beats
    department: str = ""
    town: bool = False
    county_code: str = ""


@dataclass(eq=False)
class Person:
    username: str
    full_name: str
    phone: str
    duties: list[Duty] = field(default_factory=list)
    in_town: bool = True


@dataclass(eq=False)
class StaffPlan:
    people: list[Person]
    beats: list[tuple[str, list[VillagePlan]]]
    departments: dict[str, tuple[str, str, str]]  # code → (name, handles, duty phone)


class _Hiring:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.people: list[Person] = []

    def hire(self, username: str, age_range=(28, 55), female_share=0.3) -> Person:
        if username in NAMED:
            full_name = NAMED[username]
        else:
            gender = "female" if self.rng.random() < female_share else "male"
            year = 2025 - self.rng.randint(*age_range)
            full_name = names.surname(self.rng) + names.given_name(self.rng, gender, year)
        person = Person(username, full_name, names.mobile(self.rng))
        self.people.append(person)
        return person


def plan_staff(land: Land) -> StaffPlan:
    """Staff for every role: grid workers and helpers, leaders, instructors, police,
    departments, dispatchers, town leaders and the administrator."""
    rng = random.Random(f"{land.seed}:staff")
    hiring = _Hiring(rng)
    model = next(v for v in land.villages if v.name == names.MODEL_VILLAGE[0])
    for village in land.villages:
        for grid in village.grids:
            _grid_team(hiring, grid, model)
        leader = hiring.hire(f"{village.slug}.leader", (42, 62), 0.1)
        title = (
            "网格长（社区党支部书记）" if village.kind == "community" else "网格长（村党支部书记）"
        )
        leader.duties.append(Duty("grid_leader", title, village=village))
    _instructors(hiring, land, model)
    beats = _beats(land, model)
    for index, (_name, villages) in enumerate(beats):
        covers_model = model in villages
        officer = hiring.hire("liubaolin" if covers_model else f"police{index + 1}", (26, 50), 0.1)
        officer.duties.append(Duty("police", "社区民警", beat=index))
    departments = {}
    for code, (name, handles, extra) in DEPARTMENTS.items():
        departments[code] = (name, handles, names.landline(rng))
        head = {"pcs": "xiabo", "yjb": "yanjingren"}.get(code, f"{code}.1")
        title = {"pcs": "所长", "yjb": "负责人"}.get(code, "负责人")
        hiring.hire(head).duties.append(Duty("department", title, department=code))
        for n in range(extra):
            staff = hiring.hire(f"{code}.{n + 2}", (24, 50), 0.4)
            staff.duties.append(Duty("department", "工作人员", department=code))
    for n in range(1, 4):
        dispatcher = hiring.hire(f"dispatcher{n}", (24, 40), 0.6)
        dispatcher.duties.append(Duty("dispatcher", "指挥中心值班员", town=True))
    hiring.hire("xiameng").duties.append(Duty("leader", "镇党委书记", town=True))
    hiring.hire("leader2", (40, 55)).duties.append(Duty("leader", "镇长", town=True))
    county = hiring.hire("county.leader", (45, 58))
    county.in_town = False
    county.duties.append(Duty("leader", "县委政法委副书记", county_code=names.COUNTY_CODE))
    hiring.hire("town-admin").duties.append(Duty("admin", "系统管理员", town=True))
    return StaffPlan(hiring.people, beats, departments)


def _grid_team(hiring: _Hiring, grid: GridPlan, model: VillagePlan) -> None:
    """One grid worker and two villager representatives (micro-grid leaders) per grid."""
    slug = grid.village.slug
    seq = int(grid.code[-3:])
    tag = f"g{seq:02d}" if seq < 900 else f"s{seq - 900:02d}"
    first_of_model = grid.village is model and seq == 1
    worker = hiring.hire("zhangjunyu" if first_of_model else f"{slug}.{tag}", (26, 58), 0.35)
    title = "网格员（村党支部副书记）" if first_of_model else "网格员"
    worker.duties.append(Duty("grid_worker", title, grid=grid))
    for n in range(2):
        micro = n % len(grid.micro)
        username = "yanchunmin" if first_of_model and n == 0 else f"{slug}.{tag}.h{n + 1}"
        helper = hiring.hire(username, (40, 70), 0.3)
        helper.duties.append(Duty("grid_helper", "村民代表·微网格长", grid=grid, micro=micro))


def _instructors(hiring: _Hiring, land: Land, model: VillagePlan) -> None:
    """Town cadres, one per village; the biggest villages share theirs between two."""
    villages = land.villages
    extra = max(0, land.targets.instructors - len(villages))
    split = sorted((v for v in villages if v is not model), key=lambda v: (-len(v.grids), v.code))[
        :extra
    ]
    number = 0
    for village in villages:
        grids = sorted(village.grids, key=lambda g: g.code)
        halves = (
            [grids]
            if village not in split
            else [grids[: len(grids) // 2], grids[len(grids) // 2 :]]
        )
        for part in halves:
            if village is model:
                person = hiring.hire("jiajie")
            else:
                number += 1
                person = hiring.hire(f"instructor{number:02d}", (24, 40), 0.45)
            for grid in part:
                person.duties.append(Duty("grid_instructor", "网格指导员（镇派干部）", grid=grid))


def _beats(land: Land, model: VillagePlan) -> list[tuple[str, list[VillagePlan]]]:
    """警格: villages in order round the town seat, cut into contiguous beats."""
    seat = land.seat.polygon.centroid

    def angle(v: VillagePlan) -> float:
        c = v.boundary().centroid
        return math.atan2(c.y - seat.y, c.x - seat.x)

    ordered = sorted(land.villages, key=lambda v: (angle(v), v.code))
    sizes = apportion(np.ones(min(land.targets.police_beats, len(ordered))), len(ordered))
    beats, start = [], 0
    for i, size in enumerate(sizes, start=1):
        members = ordered[start : start + size]
        start += size
        label = "、".join(names.short_name(v.name) for v in members)
        beats.append((f"第{names.cn_number(i)}警格（{label}）", members))
    return beats
