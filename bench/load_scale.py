"""Benchmark the scale loader: N persons (default 1,000,000), N/8 firms, ~4 records per subject.

Rerunnable: creates the database if missing, drops and re-migrates its schema, loads, commits, and
prints rows/s and seconds per table and in total. The figures (with the machine's load average before
and after, since the machine may be shared) go to ``bench/results/load_scale.json``.

    .venv/bin/python bench/load_scale.py                       # 1,000,000 persons into bench_load
    .venv/bin/python bench/load_scale.py --persons 100000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/x
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_load"
RESULTS = ROOT / "bench" / "results" / "load_scale.json"


def fresh_schema(url: str) -> float:
    from sqlalchemy import text

    from backend.platform.db import make_engine
    from backend.platform.migrate import upgrade

    started = time.perf_counter()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20200080)
    parser.add_argument("--keep-indexes", action="store_true", help="do not drop/recreate secondary indexes and FKs")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("the benchmark measures the PostgreSQL COPY path: give a postgresql+psycopg:// URL")

    import logging

    logging.basicConfig(level=logging.WARNING)
    from sqlalchemy import text

    from backend.app import create_app
    from backend.demo.scale import LOADED_TABLES, load_scale
    from backend.demo.seed import ensure_not_production
    from backend.platform.config import Config

    ensure_database(args.database_url)
    migrate_seconds = fresh_schema(args.database_url)
    cfg = Config.from_env()
    ensure_not_production(cfg.ENV)
    cfg.DATABASE_URL = args.database_url
    app = create_app(cfg)
    load_before = os.getloadavg()
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:7.1f} s] {msg}", flush=True)

    with app.app_context():
        session = app.extensions["database"].new_session()
        try:
            report = load_scale(session, args.persons, seed=args.seed,
                                rebuild_indexes=False if args.keep_indexes else None, progress=progress)
            commit_started = time.perf_counter()
            session.commit()
            commit_seconds = time.perf_counter() - commit_started
            counts = {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in LOADED_TABLES}
            server = session.execute(text("SHOW server_version")).scalar()
        finally:
            session.close()
    total = time.perf_counter() - t0
    load_after = os.getloadavg()

    out = report.as_dict()
    out.update(
        commit_seconds=round(commit_seconds, 3),
        wall_seconds=round(total, 3),
        migrate_seconds=round(migrate_seconds, 3),
        counts=counts,
        command=" ".join([".venv/bin/python", "bench/load_scale.py", *(argv if argv is not None else sys.argv[1:])]),
        database=args.database_url.rsplit("@", 1)[-1],
        machine={"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                 "postgresql": server, "loadavg_before": [round(x, 2) for x in load_before],
                 "loadavg_after": [round(x, 2) for x in load_after]},
        at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    print()
    print(f"{'table':<16}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
    for name, t in out["tables"].items():
        print(f"{name:<16}{t['rows']:>12}{t['seconds']:>10.2f}{t['rows_per_second']:>12}")
    for name, secs in out["steps"].items():
        print(f"{name:<28}{secs:>10.2f} s")
    print(f"{'commit':<28}{commit_seconds:>10.2f} s")
    print(f"{'TOTAL':<16}{out['total_rows']:>12}{total:>10.2f}{round(out['total_rows'] / total):>12}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({os.cpu_count()} CPUs)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
