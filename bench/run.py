"""`make bench`: seed a throwaway database, serve the app with gunicorn on loopback, load it with wrk.

Prints req/s, p50 and p95 for the ceiling (a bare endpoint of the same app), discovery with three
filters, discovery with a search word and a filter, and the bookmark toggle, each as a ratio of the
ceiling; writes bench/results.json. SQLite always; PostgreSQL too when BENCH_DATABASE_URL is set.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.seed import WORDS  # noqa: E402
from dealflow.reference.data import REGIONS, SECTORS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / "work"
PYTHON = sys.executable
DURATION = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = 16
SCENARIOS = {
    "ceiling": ("/healthz", "get.lua"),
    "browse": ("/startups/?region=KZ-43&region=KZ-61&sector=agritech&stage=seed", "get.lua"),
    "search": ("/startups/?q=irrigation&sector=agritech", "get.lua"),
    "bookmark": ("/startups/{startup_id}/bookmark", "post.lua"),
    # Not one of the four: every request a different word, sector, region and page, so the
    # caches rarely help; it shows what searches cost when each investor asks something new.
    "search_varied": ("/startups/", "varied.lua"),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(cmd: list[str], env: dict[str, str]) -> str:
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def make_database(engine_name: str, label: str = "bench") -> tuple[str, Callable[[], None]]:
    """A throwaway database (a file under bench/work, or a new PostgreSQL database) and how to drop it."""
    if engine_name == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        path = WORK / f"{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: None
    server = make_url(os.environ["BENCH_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"dealflow_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def log_in(base: str) -> tuple[str, str, int]:
    """An investor's session cookie, a CSRF token for it, and a startup to bookmark."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = urllib.parse.urlencode(
        {"csrf_token": token, "email": "investor1@bench.kz", "password": "Bench-investor-2026"}
    )
    opener.open(base + "/login", data=form.encode()).read()
    listing = opener.open(base + "/startups/").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', listing).group(1)  # type: ignore[union-attr]
    startup_id = int(re.search(r"/startups/(\d+)/bookmark", listing).group(1))  # type: ignore[union-attr]
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token, startup_id


def wrk(url: str, script: str, env: dict[str, str]) -> dict[str, float]:
    out = run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--timeout", "5s", "-s", str(BENCH / script), url], env
    )
    line = next(line for line in out.splitlines() if line.startswith("{"))
    return json.loads(line)


def bench(engine_name: str) -> dict[str, dict[str, float]]:
    url, drop = make_database(engine_name)
    env = {
        **os.environ,
        "DEALFLOW_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-only-secret-not-used-anywhere-else",
        "RATELIMIT_ENABLED": "0",
        "MAIL_BACKEND": "null",
        "BENCH_DIR": str(BENCH),
    }
    print(f"[{engine_name}] seeding…", flush=True)
    print("  " + run([PYTHON, str(BENCH / "seed.py"), url], env).strip(), flush=True)
    port = free_port()
    workers = str(os.cpu_count() or 2)
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "-w", workers, "-k", "sync", "-b", f"127.0.0.1:{port}", "wsgi:app",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        cookie, token, startup_id = log_in(base)
        env = {
            **env,
            "BENCH_COOKIE": cookie,
            # What the button sends: the token and the page to come back to.
            "BENCH_BODY": urllib.parse.urlencode({"csrf_token": token, "next": "/startups/"}),
            "BENCH_WORDS": ",".join(urllib.parse.quote(word) for word in WORDS),
            "BENCH_SECTORS": ",".join(sector.code for sector in SECTORS),
            "BENCH_REGIONS": ",".join(region.code for region in REGIONS),
        }
        results: dict[str, dict[str, float]] = {}
        for name, (path, script) in SCENARIOS.items():
            results[name] = wrk(base + path.format(startup_id=startup_id), script, env)
            if results[name].get("non_2xx_3xx"):
                raise SystemExit(f"{name}: {results[name]['non_2xx_3xx']} responses were errors")
        ceiling = results["ceiling"]["rps"]
        for figures in results.values():
            figures["ratio"] = round(figures["rps"] / ceiling, 3)
        return results
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        drop()


def show(engine_name: str, results: dict[str, dict[str, float]]) -> None:
    print(f"\n{engine_name}: {DURATION}s per scenario, {CONNECTIONS} connections")
    print(f"  {'scenario':<10} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'of ceiling':>11}")
    for name, f in results.items():
        print(f"  {name:<10} {f['rps']:>9.1f} {f['p50_ms']:>8.2f} {f['p95_ms']:>8.2f} {f['ratio']:>10.1%}")


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: make bench installs it with apt-get")
    report: dict[str, object] = {}
    sqlite = bench("sqlite")
    show("SQLite", sqlite)
    report.update(sqlite)
    report["database"] = "sqlite"
    if os.environ.get("BENCH_DATABASE_URL"):
        postgres = bench("postgresql")
        show("PostgreSQL", postgres)
        report["postgresql"] = postgres
    (BENCH / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {BENCH / 'results.json'}")


if __name__ == "__main__":
    main()
