"""The demo's Open311 client: a "FixMyStreet" account with a token, and the reports it sent.

The raw token is thrown away (the demo prints nothing secret); an administrator
issues a fresh one on the account's token page to try the API. The reports go
through `submit` — so through intake — and the grid workers take them through
the lifecycle: the older ones are closed, the last week's are still open.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.http import QueryDict
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from wangge.api.tokens import issue_token
from wangge.cases import clock, lifecycle
from wangge.cases.choices import State
from wangge.demo.names import given_name, mobile, surname
from wangge.grids.models import Grid, GridKind, Hamlet, Town
from wangge.open311.submit import submit
from wangge.staff.models import Role, RoleAssignment, User

USERNAME = "fixmystreet"
COUNT = 18
DAYS = 60

# service code, title, detail, result when settled
REPORTS = [
    (
        "MS03",
        "村道塌方",
        "通往{hamlet}的村道塌了一半，三轮车过不去，雨天更危险。",
        "已组织群众清理塌方并设置警示标志",
    ),
    (
        "MS04",
        "垃圾堆放",
        "{hamlet}路口垃圾堆了好几天没人清运，气味很大。",
        "已联系保洁员清运并消杀",
    ),
    ("MS01", "自来水停水", "{hamlet}从前天起停水，老人挑水困难。", "已修复入户管道，恢复供水"),
    ("MS02", "路灯不亮", "{hamlet}村口路灯坏了，晚上出行不便。", "已更换灯具"),
    (
        "AQ03",
        "道路缺少护栏",
        "{hamlet}急弯处没有护栏，外侧是深沟。",
        "已加装临时警示桩，护栏列入计划",
    ),
    ("HJ01", "河道有污水", "{hamlet}小河里有人倾倒污水，水面发黑。", "已查明来源并责令整改"),
    ("BM606", "代收快递", "家里老人不会用手机，想请驿站代收快递。", "已登记代收"),
    ("BM608", "助老上门", "独居老人行动不便，想申请上门理发服务。", "志愿者已上门服务"),
]


def _point(grid: Grid, rng: random.Random) -> tuple[float, float]:
    polygon = shape(grid.boundary)
    x0, y0, x1, y1 = polygon.bounds
    for _attempt in range(30):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if polygon.contains(Point(x, y)):
            return round(y, 6), round(x, 6)
    inner = polygon.representative_point()
    return round(inner.y, 6), round(inner.x, 6)


def _client(town: Town) -> User:
    user, created = User.objects.get_or_create(
        username=USERNAME, defaults={"town": town, "full_name": "FixMyStreet"}
    )
    if created:
        user.set_unusable_password()
        user.save()
        issue_token(user, "FixMyStreet")
    return user


def build(town: Town, *, seed: int, now: datetime) -> list[tuple[str, int, object]]:
    """Send the demo's Open311 reports; deterministic for a seed. Returns summary rows."""
    rng = random.Random(f"{seed}:open311")
    user = _client(town)
    grids = list(
        Grid.objects.filter(town=town, kind=GridKind.BASIC)
        .exclude(boundary=None)
        .select_related("village")
        .order_by("code")
    )
    workers = dict(
        RoleAssignment.objects.filter(grid__town=town, role=Role.GRID_WORKER)
        .exclude(grid=None)
        .values_list("grid_id", "user")
    )
    worker_users = {u.pk: u for u in User.objects.filter(pk__in=set(workers.values()))}
    moments = sorted(now - timedelta(minutes=rng.randrange(DAYS * 24 * 60)) for _ in range(COUNT))
    made = []
    for number, moment in enumerate(moments):
        grid = rng.choice(grids)
        code, title, detail, result = rng.choice(REPORTS)
        hamlets = list(
            Hamlet.objects.filter(village=grid.village).values_list("name", flat=True)[:20]
        )
        hamlet = rng.choice(hamlets) if hamlets else grid.village.name
        lat, lon = _point(grid, rng)
        data = QueryDict(mutable=True)
        data.update(
            {
                "jurisdiction_id": town.code,
                "service_code": code,
                "lat": str(lat),
                "long": str(lon),
                "description": f"{title}\n\n{detail.format(hamlet=hamlet)}\n\n"
                f"https://fms.example.cn/report/{1000 + number}",
                "last_name": surname(rng),
                "first_name": given_name(
                    rng, rng.choice(["male", "female"]), rng.randrange(1950, 2000)
                ),
                "phone": mobile(rng),
                "attribute[hamlet]": hamlet,
                "attribute[contact_preference]": rng.choice(["phone", "sms", "none"]),
                "attribute[fixmystreet_id]": str(1000 + number),
            }
        )
        with clock.simulated(moment):
            received = submit(data, user=user, now=moment)
        case = received.case
        worker = worker_users.get(workers.get(case.grid_id))
        age = now - moment
        if worker and case.state == State.REPORTED and age > timedelta(days=2):
            case = lifecycle.accept(case, worker, now=moment + timedelta(hours=2))
            if age > timedelta(days=7):
                case = lifecycle.resolve_on_site(
                    case, worker, result=result, now=moment + timedelta(days=2)
                )
                case = lifecycle.verify(case, worker, now=moment + timedelta(days=3))
        made.append(case)
    closed = sum(1 for case in made if case.state == State.CLOSED)
    return [
        (_("Open311 requests (FixMyStreet)"), len(made), "—"),
        (_("Open311 requests closed"), closed, "—"),
    ]
