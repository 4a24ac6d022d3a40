"""Shared set-up for the benchmarks: a throwaway database and a small town."""

import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(name: str) -> str:
    """Point Django at a fresh SQLite file (unless DATABASE_URL is set) and migrate."""
    if "DATABASE_URL" not in os.environ:
        path = Path(tempfile.gettempdir()) / f"wangge-bench-{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if os.environ.get("WANGGE_BENCH_FLUSH"):
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"]


@contextmanager
def timed(label: str, count: int | None = None):
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    rate = f", {count / seconds:,.0f}/s" if count else ""
    print(f"{label}: {seconds:.3f} s{rate}")


def square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def small_town(grids_per_side: int = 4):
    """A town with one village per row of grids, a worker per grid, a dispatcher and a department."""
    from wangge.cases.catalogue import install_catalogue
    from wangge.cases.sla import install_default_policies
    from wangge.grids import locator
    from wangge.grids.models import Grid, Town, Village
    from wangge.staff.models import Department, User
    from wangge.staff.services import assign_role

    install_default_policies()
    install_catalogue()
    town = Town.objects.create(
        name="基准镇",
        code="410325199000",
        county_code="410325",
        county_name="嵩县",
        case_prefix="BM",
    )
    grids = []
    for row in range(grids_per_side):
        village = Village.objects.create(
            town=town, name=f"基准{row}村", code=f"4103251992{row:02d}"
        )
        for col in range(grids_per_side):
            x, y = 112.0 + col * 0.01, 34.1 - row * 0.01
            grid = Grid.objects.create(
                town=town,
                village=village,
                code=f"{village.code}{col + 1:03d}",
                name=f"{village.name}第{col + 1}网格",
                boundary=square(x, y - 0.01, x + 0.01, y),
            )
            worker = User.objects.create(username=f"w{grid.code}", town=town)
            assign_role(worker, "grid_worker", grid=grid)
            grids.append((grid, worker))
    dispatcher = User.objects.create(username="bench-dispatcher", town=town)
    assign_role(dispatcher, "dispatcher", town=town)
    department = Department.objects.create(town=town, name="水利站", code="slz")
    staff = User.objects.create(username="bench-dept", town=town)
    assign_role(staff, "department", department=department)
    locator.invalidate()
    return town, grids, dispatcher, department, staff
