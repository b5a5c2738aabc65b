"""How long does a 10,000-row credit record batch take? (Target: well under 10 s on PostgreSQL.)

    .venv/bin/python bench/records_batch.py [--rows 10000] [--url postgresql+psycopg://…/bench_records]

The database URL comes from ``--url``, else ``BENCH_DATABASE_URL``, else the local
``bench_records`` database (created if missing). The schema is brought to head with the real migrations; subjects are seeded with bulk
INSERTs inside one transaction, which is rolled back at the end: the database is left as it was.
Prints the time of the CSV parse and of ``submit_batch`` (check + insert), and rows per second,
then the rescoring of every subject the batch touched — the work that follows the commit (inline
in the embedded default, an RQ job with Redis).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from backend.common.actor import SYSTEM  # noqa: E402
from backend.common.ids import make_resident_id, make_uscc  # noqa: E402
from backend.evaluation.services import evaluate_subjects  # noqa: E402
from backend.records.ingest import read_csv, submit_batch  # noqa: E402
from backend.records.models import CreditRecord  # noqa: E402
from backend.staff.models import Department, OrgType  # noqa: E402
from backend.subjects.models import Firm, Person, Subject, SubjectKind  # noqa: E402
from backend.subjects.services import id_number_index  # noqa: E402
from bench.common import prepared_engine  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_records"
KINDS = ["admin_penalty", "admin_license", "admin_inspection", "admin_reward", "commitment_breach"]


def seed_subjects(session: Session, firms: int, persons: int) -> tuple[list[str], list[str]]:
    """Bulk-insert subjects, firms and persons; return their codes."""
    firm_codes = [make_uscc("91", "320803", f"BM{i:06d}") for i in range(firms)]
    ids = session.execute(insert(Subject).returning(Subject.id), [{"kind": SubjectKind.FIRM}] * firms).scalars().all()
    session.execute(insert(Firm), [
        {"id": sid, "uscc": code, "name": f"压测企业{i}", "entity_type": "91", "region_code": "320803"}
        for i, (sid, code) in enumerate(zip(ids, firm_codes, strict=True))
    ])
    id_numbers = [make_resident_id("320803", date(1960, 1, 1) + timedelta(days=i // 500), i % 500)
                  for i in range(persons)]
    pids = session.execute(insert(Subject).returning(Subject.id), [{"kind": SubjectKind.PERSON}] * persons).scalars().all()
    session.execute(insert(Person), [
        {"id": pid, "id_number": num, "id_number_bidx": id_number_index(num), "name": "压测", "gender": "M",
         "birth_year": 1960, "region_code": "320803"}
        for pid, num in zip(pids, id_numbers, strict=True)
    ])
    return firm_codes, id_numbers


def make_csv(codes: list[str], rows: int) -> bytes:
    lines = ["主体代码,信息类别,严重程度,决定文书号,决定日期,标题,内容,依据,领域,金额"]
    first = date(2023, 1, 1)
    for i in range(rows):
        kind = KINDS[i % len(KINDS)]
        severity = ("轻微", "一般", "严重")[i % 3] if kind in ("admin_penalty", "commitment_breach") else ""
        day = first + timedelta(days=i % 1300)
        domain = ("食品", "消防", "", "")[i % 4]
        lines.append(f"{codes[i % len(codes)]},{kind},{severity},淮区压测〔{day.year}〕{i}号,{day.isoformat()},"
                     f"压测记录{i},内容,依据,{domain},{(i % 50) * 100}")
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    engine = prepared_engine(args.url)
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            t0 = time.perf_counter()
            firm_codes, person_codes = seed_subjects(session, firms=max(args.rows * 4 // 5, 1),
                                                     persons=max(args.rows // 5, 1))
            session.add(Department(code="BENCH", name="压测部门", short_name="压测部门", org_type=OrgType.GOVERNMENT,
                                   record_kinds=KINDS))
            session.flush()
            seeded = time.perf_counter() - t0
            data = make_csv(firm_codes + person_codes, args.rows)
            t1 = time.perf_counter()
            rows = read_csv(data, max_rows=args.rows)
            parsed = time.perf_counter() - t1
            t2 = time.perf_counter()
            batch = submit_batch(session, SYSTEM, rows, department_code="BENCH", source="bench",
                                 max_rows=args.rows, today=date(2026, 11, 27))
            session.flush()
            took = time.perf_counter() - t2
            stored = session.execute(select(func.count()).where(CreditRecord.batch_id == batch.id)).scalar_one()
            touched = session.execute(
                select(CreditRecord.subject_id).where(CreditRecord.batch_id == batch.id).distinct()).scalars().all()
            t3 = time.perf_counter()
            evaluate_subjects(session, touched, as_of=date(2026, 11, 27), cause="bench")
            session.flush()
            rescored = time.perf_counter() - t3
        finally:
            session.close()
            outer.rollback()
    engine.dispose()
    print(f"database:      {engine.dialect.name} ({args.url.split('@')[-1]})")
    print(f"seeded:        {len(firm_codes)} firms + {len(person_codes)} persons in {seeded:.2f} s")
    print(f"csv parse:     {len(rows)} rows ({len(data) / 1e6:.1f} MB) in {parsed:.2f} s")
    print(f"submit_batch:  {batch.total_rows} rows, {batch.accepted_rows} accepted, {batch.rejected_rows} rejected, "
          f"{stored} stored in {took:.2f} s ({batch.total_rows / took:,.0f} rows/s)")
    print(f"rescoring:     {len(touched)} subjects with explanations in {rescored:.2f} s "
          f"({len(touched) / rescored:,.0f} subjects/s) — after commit")
    if batch.errors:
        print("first errors:", batch.errors[:3])
    return 0 if batch.accepted_rows == args.rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
