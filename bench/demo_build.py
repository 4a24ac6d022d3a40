"""Time `wangge demo`'s build into a throwaway SQLite database.

    .venv/bin/python bench/demo_build.py [--seed N] [--database /tmp/bench-demo.sqlite3]

Prints the seconds of each step and of the whole build (the target is ≤ 60 s
on a 2-core machine). The database file is deleted before and after.
"""

import argparse
import os
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="/tmp/bench-demo.sqlite3")
    args = parser.parse_args()
    database = Path(args.database)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    # Never the default database in var/: someone may be using it.
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    import django

    django.setup()
    from django.core.management import call_command

    from wangge.demo.build import build_demo

    call_command("migrate", interactive=False, verbosity=0)
    marks = []

    def on_step(index, label):
        marks.append((time.perf_counter(), str(label)))

    started = time.perf_counter()
    build_demo(seed=args.seed, on_step=on_step)
    finished = time.perf_counter()
    marks.append((finished, ""))
    for (at, label), (until, _next) in zip(marks, marks[1:], strict=False):
        print(f"{until - at:7.2f} s  {label}")
    print(f"{finished - started:7.2f} s  demo build total (seed {args.seed})")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
