"""Benchmark ``flask credit recompute`` (the set-based SQL path) on generated data.

    .venv/bin/python bench/recompute.py --subjects 1250000
    .venv/bin/python bench/recompute.py --skip-load          # time again on the loaded data

Loads its own rows (it does not use the demo loader) into a database of its own — default
``postgresql+psycopg://postgres@127.0.0.1:5432/bench_eval``, created if missing, its schema rebuilt by
the real migrations — records, list entries and commitments with ``INSERT … SELECT FROM generate_series`` (server-side, seeded, far faster
than shipping rows from Python). Then it times three runs of ``recompute_everything``:
1. cold: every subject gets its first evaluations row (INSERT);
2. next day: decay moves some scores (UPDATE of the changed rows, history for grade changes);
3. same day again: nothing changes (the steady nightly case).
Each prints total seconds and subjects/s. The machine's cores are shared: run it alone if you can.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.evaluation.batch import recompute_everything  # noqa: E402
from backend.platform.migrate import upgrade  # noqa: E402
from bench.common import ensure_database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_eval"

# kind, polarity, severity weights: mostly penalties, some judicial, a few rewards and licences.
LOAD_SQL = [
    "SELECT setseed(0.42)",
    """INSERT INTO departments (id, code, name, short_name, org_type, record_kinds, active, created_at)
       VALUES (900001, 'BENCH', '基准测试部门', '基准', 'government', '[]', true, now())""",
    """INSERT INTO subjects (id, kind, created_at)
       SELECT g, CASE WHEN g % 5 = 0 THEN 'firm' ELSE 'person' END, now() FROM generate_series(1, :n) g""",
    "SELECT setval(pg_get_serial_sequence('subjects', 'id'), :n)",
    """INSERT INTO credit_records (subject_id, kind, polarity, department_id, decision_no, decision_date, title,
           severity, publicity_start, publicity_min_end, publicity_max_end, publish_deadline, published_late,
           rule_version, status, status_changed_at, version, is_current, created_at)
       SELECT subject_id, k.kind, k.polarity, 900001, 'B' || g, d, '基准记录', k.severity, d,
              CASE WHEN k.polarity = 'negative' THEN d + k.min_days END,
              CASE WHEN k.polarity = 'negative' THEN d + k.max_days END,
              d + 9, false, 'bench',
              (ARRAY['publicizing','publicizing','publicizing','publicizing','publicizing','publicizing',
                     'objected','repaired','revoked','expired'])[1 + floor(random() * 10)::int],
              now(), 1, random() > 0.05, now()
       FROM (SELECT g, 1 + floor(random() * :n)::int AS subject_id, floor(random() * 12)::int AS ki,
                    DATE '2024-06-01' + floor(random() * 760)::int AS d
             FROM generate_series(1, :records) g) src
       JOIN (VALUES
           (0, 'admin_penalty', 'negative', 'minor', 0, 90), (1, 'admin_penalty', 'negative', 'general', 90, 365),
           (2, 'admin_penalty', 'negative', 'general', 90, 365), (3, 'admin_penalty', 'negative', 'serious', 365, 1095),
           (4, 'admin_penalty', 'negative', NULL, 90, 365), (5, 'admin_coercion', 'negative', 'general', 90, 365),
           (6, 'admin_inspection', 'negative', 'minor', 0, 90), (7, 'judgment_defaulter', 'negative', 'serious', 365, 1095),
           (8, 'commitment_breach', 'negative', 'general', 90, 365), (9, 'admin_reward', 'positive', NULL, 0, 0),
           (10, 'honour', 'positive', NULL, 0, 0), (11, 'admin_license', 'neutral', NULL, 0, 0)
       ) AS k(ki, kind, polarity, severity, min_days, max_days) ON k.ki = src.ki""",
    """INSERT INTO list_entries (subject_id, list_type, department_id, reason, listed_on, expires_on, status, created_at)
       SELECT 1 + floor(random() * :n)::int,
              (ARRAY['red','red','watch','serious','ban'])[1 + floor(random() * 5)::int], 900001, '基准',
              DATE '2025-01-01' + floor(random() * 480)::int,
              CASE WHEN random() < 0.5 THEN DATE '2026-01-01' + floor(random() * 900)::int END,
              (ARRAY['active','active','active','removed','expired'])[1 + floor(random() * 5)::int], now()
       FROM generate_series(1, :lists) g""",
    """INSERT INTO commitments (subject_id, type, department_id, matter, content, signed_on, valid_until, status,
           closed_on, created_at)
       SELECT subject_id, (ARRAY['approval','disclosure','industry','repair','certification'])[1 + floor(random() * 5)::int],
              900001, '基准承诺', '基准承诺内容', signed, signed + 365, st,
              CASE WHEN st <> 'active' THEN signed + floor(random() * 365)::int END, now()
       FROM (SELECT 1 + floor(random() * :n)::int AS subject_id, DATE '2023-06-01' + floor(random() * 1000)::int AS signed,
                    (ARRAY['kept','kept','kept','active','active','breached','withdrawn'])[1 + floor(random() * 7)::int] AS st
             FROM generate_series(1, :commitments) g) src""",
]


def load(url: str, n: int, records: int, lists: int, commitments: int) -> None:
    ensure_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        for sql in LOAD_SQL:
            conn.execute(text(sql), {"n": n, "records": records, "lists": lists, "commitments": commitments})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"loaded {n:,} subjects, {records:,} records, {lists:,} list entries, {commitments:,} commitments "
          f"in {time.perf_counter() - started:.1f}s")
    engine.dispose()


def timed_run(engine, label: str, as_of: date) -> float:
    with Session(engine) as session:
        report = recompute_everything(session, as_of, method="sql")
        commit_started = time.perf_counter()
        session.commit()
        seconds = report.seconds + (time.perf_counter() - commit_started)
    rate = report.total / seconds if seconds else 0.0
    print(f"{label:<10} as_of {as_of}: {report.total:,} subjects in {seconds:.1f}s = {rate:,.0f} subjects/s "
          f"({report.written:,} rows written, {report.grade_changes:,} grade changes)")
    return seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--subjects", type=int, default=1_250_000)
    ap.add_argument("--records", type=int, default=None, help="credit records (default 1.2 per subject)")
    ap.add_argument("--lists", type=int, default=None, help="list entries (default 4 %% of subjects)")
    ap.add_argument("--commitments", type=int, default=None, help="信用承诺 (default 8 %% of subjects, 3/7 kept)")
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 5, 1))
    ap.add_argument("--skip-load", action="store_true", help="time on the data already loaded")
    args = ap.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        ap.error("the set-based path is PostgreSQL only")
    if not args.skip_load:
        load(args.database_url, args.subjects, args.records or int(args.subjects * 1.2),
             args.lists or args.subjects // 25, args.commitments if args.commitments is not None else args.subjects * 2 // 25)
        engine = create_engine(args.database_url)
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE evaluations, evaluation_history"))
    else:
        engine = create_engine(args.database_url)
    total = timed_run(engine, "cold", args.as_of)
    timed_run(engine, "next day", args.as_of + timedelta(days=1))
    timed_run(engine, "same day", args.as_of + timedelta(days=1))
    with engine.connect() as conn:
        grades = conn.execute(text("SELECT kind, grade, count(*) FROM evaluations GROUP BY 1, 2 ORDER BY 1, 2")).all()
    print("distribution:", ", ".join(f"{k}/{g}: {c:,}" for k, g, c in grades))
    print(f"cold run: {total:.1f}s ({'within' if total <= 180 else 'OVER'} the 180 s target)")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
