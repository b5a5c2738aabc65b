"""Speed benchmark of compare and intercept (``backend.intercept.services.check_subjects``) at scale.

1. Data: a PostgreSQL database with ``--persons`` persons (default 1,000,000), N/8 firms, ~4 records
   per subject and ~1.5 % of subjects on a list, from the scale loader (``backend.demo.scale.load_scale``,
   COPY). Loaded once; later runs reuse it. The default is the card benchmark's database
   (``bench_card``, same loader): ``make bench-card`` and ``make bench-intercept`` load it once between them.
2. Latency, through the service as a department's call pays it (validate the codes, blind-index the
   ID numbers, read subjects and entries in force, write the interception log, commit): ``--single``
   calls with one subject and ``--batches`` calls with 10,000 subjects (persons and firms mixed,
   listed ones among them), each in its own session and transaction. p50 / p90 / p99 / max.
   Targets: p99 ≤ 2 ms for one subject, ≤ 300 ms for 10,000.

A benchmark reports, it does not fail: each target is printed as "target met" / "target NOT met".

    .venv/bin/python bench/intercept.py                         # 1 M persons (first run loads them)
    .venv/bin/python bench/intercept.py --persons 20000 --single 300 --batches 5   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, ensure_scale  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef0123456789"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def stats(ms: list[float]) -> dict:
    return {"n": len(ms), "p50": round(statistics.median(ms), 3), "p90": round(pct(ms, 90), 3),
            "p99": round(pct(ms, 99), 3), "max": round(max(ms), 3)}


def prepare(args):
    import sqlalchemy as sa

    ensure_database(args.database_url)
    os.environ.update(APP_ENV="development", SECRET_KEY=SECRET, DATABASE_URL=args.database_url, JOBS_INLINE="1",
                      REDIS_URL="")
    from backend.app import create_app
    from backend.http.extensions import get_session
    from backend.platform.migrate import upgrade

    upgrade(args.database_url)
    app = create_app()
    with app.app_context():
        session = get_session()
        ensure_scale(session, args.persons)
        counts = session.execute(sa.text(
            "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM firms), "
            "(SELECT count(*) FROM list_entries WHERE status = 'active')")).one()
        print("data: persons {:,}, firms {:,}, list entries in force {:,}".format(*counts), flush=True)
    return app


def sample_codes(app, rng: random.Random, n_persons: int, n_firms: int) -> list[str]:
    """ID numbers (decrypted through the ORM) and USCCs, listed subjects among them."""
    import sqlalchemy as sa

    from backend.http.extensions import get_session
    from backend.lists.models import ListEntry
    from backend.subjects.models import Firm, Person

    with app.app_context():
        session = get_session()
        top = session.execute(sa.select(sa.func.max(Person.id))).scalar()
        step = max(1, top // (n_persons * 2))
        persons = list(session.execute(sa.select(Person.id_number).where(Person.id % step == 0)
                                       .limit(n_persons)).scalars())
        listed = sa.select(ListEntry.subject_id).where(ListEntry.status == "active")
        persons += list(session.execute(sa.select(Person.id_number).where(Person.id.in_(listed))
                                        .limit(n_persons // 50)).scalars())
        firms = list(session.execute(sa.select(Firm.uscc).limit(n_firms)).scalars())
        firms += list(session.execute(sa.select(Firm.uscc).where(Firm.id.in_(listed)).limit(n_firms // 10)).scalars())
        session.rollback()
    codes = persons + firms
    rng.shuffle(codes)
    return codes


def run(app, codes: list[str], size: int, calls: int, rng: random.Random, domain: str,
        parts: dict[str, list[float]] | None = None) -> tuple[list[float], int]:
    """Per call: wall ms (service + commit). ``parts`` (optional) also gets, per call, the commit's
    wall ms and this process's CPU ms, which the machine's other tenants move much less."""
    from sqlalchemy import select

    from backend.common.actor import Actor
    from backend.intercept.services import check_subjects
    from backend.staff.models import Department

    database = app.extensions["database"]
    with app.app_context():
        with database.new_session() as s:
            fgw = s.execute(select(Department.id).where(Department.code == "FGW")).scalar()
        actor = Actor("staff", 1, role="credit_admin", department_id=fgw)
        times: list[float] = []
        hits = 0
        for _ in range(calls):
            batch = rng.sample(codes, size) if size < len(codes) else list(codes)
            started, cpu = time.perf_counter(), time.process_time()
            with database.new_session() as session:
                result = check_subjects(session, actor, batch, domain)
                committing = time.perf_counter()
                session.commit()
            done = time.perf_counter()
            times.append((done - started) * 1000)
            if parts is not None:
                parts["commit"].append((done - committing) * 1000)
                parts["cpu"].append((time.process_time() - cpu) * 1000)
            hits += len(result.hits)
    return times, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_card",
                        help="shared with bench/card.py by default (the same scale data)")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=3000, help="one-subject calls")
    parser.add_argument("--batches", type=int, default=30, help="10,000-subject calls")
    parser.add_argument("--domain", default="食品药品")
    args = parser.parse_args()
    rng = random.Random(13)
    app = prepare(args)
    codes = sample_codes(app, rng, 20_000, 2_500)
    print(f"sampled {len(codes):,} codes", flush=True)
    run(app, codes, 1, 200, rng, args.domain)  # warm the pool, the plans and the caches
    one_parts: dict[str, list[float]] = {"commit": [], "cpu": []}
    many_parts: dict[str, list[float]] = {"commit": [], "cpu": []}
    single, single_hits = run(app, codes, 1, args.single, rng, args.domain, one_parts)
    batch, batch_hits = run(app, codes, min(10_000, len(codes)), args.batches, rng, args.domain, many_parts)
    out = {"persons": args.persons, "one_subject_ms": stats(single), "one_subject_hits": single_hits,
           # of which the commit (the log row made durable: a WAL flush, the disk's and the load's)
           "one_subject_commit_ms": stats(one_parts["commit"]),
           "one_subject_client_cpu_ms": stats(one_parts["cpu"]),
           "ten_thousand_ms": stats(batch), "ten_thousand_hits_per_call": round(batch_hits / max(1, len(batch)), 1),
           "ten_thousand_commit_ms": stats(many_parts["commit"]),
           "ten_thousand_client_cpu_ms": stats(many_parts["cpu"])}
    print(json.dumps(out, ensure_ascii=False, indent=2))
    for label, s, target in (("one subject", out["one_subject_ms"], 2.0),
                             ("10,000 subjects", out["ten_thousand_ms"], 300.0)):
        met = "target met" if s["p99"] <= target else "target NOT met"
        print(f"{label}: p99 {s['p99']} ms (target ≤ {target:g} ms): {met}")
    print(f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
