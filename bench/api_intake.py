"""HTTP intake under the production server: `POST /api/v1/cases` with a token.

Builds the full demo town in a throwaway database (SQLite in /tmp, or the
DATABASE_URL you give), starts `wangge serve` (gunicorn) on loopback, and drives
it from second processes with keep-alive connections — wrk (Debian package `wrk`;
light on the CPU the server needs) for the closed loops when it is installed,
else Python threads with http.client — and Python for the paced run:

1. a trivial authenticated GET (`/api/v1/me`) as fast as it goes — the baseline;
2. intake (`POST /api/v1/cases`: token, grid lookup, deadlines, event, notices,
   idempotency record) as fast as it goes;
3. intake at a fixed 200 cases/s (open loop), for the latency percentiles.

Targets (issue 6): intake ≥ 60 % of the GET's throughput; ≥ 400 cases/s on
SQLite, ≥ 800 on PostgreSQL; p99 ≤ 50 ms at 200 cases/s.

With wrk, the GET and intake runs alternate three times (`--repeat`) and the
median of each is reported with every run's rate: a run whose connections the
kernel handed unevenly to the workers can land at half the rate.

Run: .venv/bin/python bench/api_intake.py [--seconds 10] [--connections 8] [--repeat 3]
     DATABASE_URL=postgres://… .venv/bin/python bench/api_intake.py
"""

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent


# --- The driver (runs in its own process) --------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class _Connection:
    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None, extra=None) -> int:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body, {**self.headers, **(extra or {})})
                response = self.conn.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status
            except (TimeoutError, http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _intake_body(rng: random.Random, points, categories) -> bytes:
    lat, lon = rng.choice(points)
    return json.dumps(
        {
            "category": rng.choice(categories),
            "title": rng.choice(["路灯不亮", "村道积水", "垃圾未清运", "自来水管漏水", "邻里纠纷"]),
            "description": "基准测试上报",
            "channel": "patrol",
            "latitude": lat + rng.uniform(-0.0005, 0.0005),
            "longitude": lon + rng.uniform(-0.0005, 0.0005),
        },
        ensure_ascii=False,
    ).encode()


def _closed_loop(port, token, connections, seconds, make_request):
    """As many requests as the server takes on `connections` connections."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(index):
        rng = random.Random(index)
        conn = _Connection(port, token)
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            method, path, body, extra, ok = make_request(rng)
            began = time.perf_counter()
            status = conn.request(method, path, body, extra)
            mine.append(time.perf_counter() - began)
            bad += status != ok
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, latencies, errors[0]


def _open_loop(port, token, rate, seconds, connections, make_request):
    """Requests sent on a fixed schedule; latency counts from the scheduled time."""
    total = int(rate * seconds)
    start = time.perf_counter() + 0.2
    slots = iter(range(total))
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(index):
        rng = random.Random(1000 + index)
        conn = _Connection(port, token)
        while True:
            with lock:
                slot = next(slots, None)
            if slot is None:
                return
            due = start + slot / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            method, path, body, extra, ok = make_request(rng)
            status = conn.request(method, path, body, extra)
            took = time.perf_counter() - due
            with lock:
                latencies.append(took)
                errors[0] += status != ok

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def drive(config: dict) -> dict:
    port, token = config["port"], config["token"]
    points, categories = config["points"], config["categories"]
    seconds, connections = config["seconds"], config["connections"]

    def me(rng):
        return "GET", "/api/v1/me", None, None, 200

    def intake(rng):
        extra = {"Idempotency-Key": uuid.uuid4().hex}
        return "POST", "/api/v1/cases", _intake_body(rng, points, categories), extra, 201

    # Warm up both paths (imports, the grid locator, connections).
    _closed_loop(port, token, connections, 2, me)
    _closed_loop(port, token, 2, 2, intake)
    results = {}
    if config["closed_loop"]:  # without wrk: this process drives the closed loops too
        rate, latencies, errors = _closed_loop(port, token, connections, seconds, me)
        results["get"] = {"rate": rate, "p50": _percentile(latencies, 0.5), "errors": errors}
        rate, latencies, errors = _closed_loop(port, token, connections, seconds, intake)
        results["intake"] = {
            "rate": rate,
            "p50": _percentile(latencies, 0.5),
            "p99": _percentile(latencies, 0.99),
            "errors": errors,
        }
    latencies, errors = _open_loop(port, token, 200, seconds, connections * 2, intake)
    results["intake_200"] = {
        "count": len(latencies),
        "p50": _percentile(latencies, 0.5),
        "p99": _percentile(latencies, 0.99),
        "mean": statistics.mean(latencies),
        "errors": errors,
    }
    return results


# --- wrk (C, light on the CPU the server needs) for the closed loops -----------------------

_WRK_INTAKE = """
local points = {%(points)s}
local categories = {%(categories)s}
local counter = 0
local threads = 0
-- `prefix` and `seed` are globals of each thread's own state, set here (a local
-- of the same name would hide them): keys unique to this run and thread, as a
-- key seen before would be answered as a replay.
function setup(thread)
  threads = threads + 1
  thread:set("prefix", "%(run)s-" .. threads)
  thread:set("seed", threads)
end
function init(args)
  math.randomseed(seed)
end
function request()
  counter = counter + 1
  local p = points[math.random(#points)]
  local body = string.format(
    '{"category":"%%s","title":"路灯不亮","description":"基准测试上报","channel":"patrol",'
      .. '"latitude":%%.6f,"longitude":%%.6f}',
    categories[math.random(#categories)],
    p[1] + (math.random() - 0.5) * 0.001,
    p[2] + (math.random() - 0.5) * 0.001)
  wrk.headers["Idempotency-Key"] = prefix .. "-" .. counter
  return wrk.format("POST", "/api/v1/cases", nil, body)
end
"""


def _wrk(port, token, path, seconds, connections, script=None) -> dict:
    """Run wrk; its rate, p50 and p99 (from --latency) and the non-2xx count."""
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:.0f}s"]
    command += ["--latency", "-H", f"Authorization: Bearer {token}"]
    if script:
        command += ["-s", script, "-H", "Content-Type: application/json"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    result = {"errors": 0}
    for line in output.splitlines():
        line = line.strip()
        words = line.split()
        if line.startswith("Requests/sec:"):
            result["rate"] = float(words[1])
        elif words[:1] in (["50%"], ["99%"]):
            result["p50" if words[0] == "50%" else "p99"] = _seconds(words[1])
        elif words[1:3] == ["requests", "in"]:
            result["requests"] = int(words[0])
        elif line.startswith("Socket errors:"):  # connect, read, write, timeout
            result["errors"] += sum(int(word.rstrip(",")) for word in words[3::2])
        elif line.startswith("Non-2xx"):
            result["errors"] += int(words[-1])
    return result


def _seconds(text: str) -> float:
    for unit, factor in (("us", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(text)


def _closed_loops_with_wrk(
    port, token, points, categories, seconds, connections, count, repeat
) -> dict:
    def script() -> str:
        path = Path(tempfile.gettempdir()) / "wangge-bench-intake.lua"
        path.write_text(
            _WRK_INTAKE
            % {
                "points": ", ".join(f"{{{lat!r}, {lon!r}}}" for lat, lon in points),
                "categories": ", ".join(f'"{code}"' for code in categories),
                "run": uuid.uuid4().hex,
            }
        )
        return str(path)

    _wrk(port, token, "/api/v1/me", 2, connections)  # warm-up
    _wrk(port, token, "/api/v1/cases", 2, connections, script())
    # Each wrk run opens its connections afresh and the kernel hands them to the
    # workers unevenly (two workers can get six of eight): a run can land at half
    # the rate. Runs alternate; the median one of each kind is reported.
    gets, intakes = [], []
    for _ in range(repeat):
        gets.append(_wrk(port, token, "/api/v1/me", seconds, connections))
        before = count()
        intake = _wrk(port, token, "/api/v1/cases", seconds, connections, script())
        intake["written"] = count() - before  # each request a new case: no replays
        intakes.append(intake)
    return {"get": _median(gets), "intake": _median(intakes)}


def _median(runs: list[dict]) -> dict:
    ordered = sorted(runs, key=lambda run: run["rate"])
    return {**ordered[len(ordered) // 2], "rates": [run["rate"] for run in runs]}


# --- The set-up (this process) ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("the server did not start")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz")


def main(seconds: float, connections: int, workers: int, threads: int, repeat: int) -> None:
    sys.path.insert(0, str(HERE))
    from common import setup_django

    url = setup_django("api-intake")
    from wangge.api.tokens import issue_token
    from wangge.cases.models import Case, Category
    from wangge.demo.build import build_demo
    from wangge.grids.models import Grid
    from wangge.staff.models import Role, User

    began = time.perf_counter()
    town = build_demo(seed=1)
    print(f"demo town built in {time.perf_counter() - began:.0f} s")
    dispatcher = User.objects.filter(
        town=town, role_assignments__role=Role.DISPATCHER, is_active=True
    ).first()
    _token, raw = issue_token(dispatcher, "bench")
    points = list(
        Grid.objects.filter(town=town, kind="basic").values_list("centroid_lat", "centroid_lon")
    )
    categories = list(
        Category.objects.filter(active=True, children__isnull=True)
        .exclude(kind="service")
        .values_list("code", flat=True)
    )
    before = Case.objects.count()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "wangge"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--no-collectstatic",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, server)
        with_wrk = shutil.which("wrk") is not None
        config = {
            "port": port,
            "token": raw,
            "points": points,
            "categories": categories,
            "seconds": seconds,
            "connections": connections,
            "closed_loop": not with_wrk,
        }
        loops = {}
        if with_wrk:
            loops = _closed_loops_with_wrk(
                port, raw, points, categories, seconds, connections, Case.objects.count, repeat
            )
        driver = subprocess.run(
            [sys.executable, __file__, "--drive"],
            input=json.dumps(config),
            capture_output=True,
            text=True,
            check=True,
        )
        results = {**json.loads(driver.stdout), **loops}
    finally:
        server.terminate()
        server.wait(timeout=30)

    made = Case.objects.count() - before
    get, intake, steady = results["get"], results["intake"], results["intake_200"]
    engine = url.split(":")[0]
    print(
        f"database: {engine}; gunicorn {workers} workers × {threads} threads; "
        f"load: {'wrk' if with_wrk else 'Python threads'}, {connections} keep-alive connections, "
        f"{seconds:.0f} s per run" + (f", median of {repeat}" if with_wrk and repeat > 1 else "")
    )

    def each(run: dict) -> str:
        rates = run.get("rates", [])
        return f" [runs: {', '.join(f'{rate:,.0f}' for rate in rates)}]" if len(rates) > 1 else ""

    print(
        f"GET /api/v1/me (token): {get['rate']:,.0f} req/s{each(get)}, "
        f"p50 {get['p50'] * 1000:.1f} ms, errors {get['errors']}"
    )
    print(
        f"POST /api/v1/cases: {intake['rate']:,.0f} cases/s{each(intake)} "
        f"({intake['rate'] / get['rate']:.0%} of the GET), p50 {intake['p50'] * 1000:.1f} ms, "
        f"p99 {intake['p99'] * 1000:.1f} ms, errors {intake['errors']}"
        + (
            f"; {intake['written']:,} cases for {intake['requests']:,} requests"
            if "written" in intake
            else ""
        )
    )
    print(
        f"POST /api/v1/cases at 200/s: {steady['count']} cases, p50 {steady['p50'] * 1000:.1f} ms, "
        f"p99 {steady['p99'] * 1000:.1f} ms, errors {steady['errors']}"
    )
    print(f"cases written: {made:,}")


if __name__ == "__main__":
    if "--drive" in sys.argv:
        print(json.dumps(drive(json.loads(sys.stdin.read()))))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="wrk runs of each kind (median)")
    options = parser.parse_args()
    main(options.seconds, options.connections, options.workers, options.threads, options.repeat)
