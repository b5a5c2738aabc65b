"""How long does a month's 信用承诺登记表 of 100,000 rows take, and how much memory? (Target: ≤ 20 s.)

    .venv/bin/python bench/commitments_report.py [--rows 100000] [--url postgresql+psycopg://…/bench_commitments]

The database URL comes from ``--url``, else ``BENCH_DATABASE_URL``, else the local
``bench_commitments`` database (created if missing). The schema is brought to head with the real
migrations; subjects and one month of commitments (a fifth of them signed online, with a letter)
are bulk-inserted in one transaction that is rolled back at the end. Then the real
:func:`write_report` streams the table into a write-only XLSX file while a thread samples the
process's resident memory (peak during the report minus the resident memory at its start); with
``--trace`` a second pass under ``tracemalloc`` gives the peak of Python allocations (slow: ~15x).
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from backend.commitments.letters import content_hash  # noqa: E402
from backend.commitments.models import Commitment, CommitmentItem, CommitmentLetter, CommitmentTemplate  # noqa: E402
from backend.commitments.reports import write_report  # noqa: E402
from backend.common.actor import SYSTEM  # noqa: E402
from backend.common.ids import make_resident_id, make_uscc  # noqa: E402
from backend.staff.models import Department, OrgType  # noqa: E402
from backend.subjects.models import Account, Firm, Person, Subject, SubjectKind  # noqa: E402
from backend.subjects.services import id_number_index  # noqa: E402
from bench.common import prepared_engine  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_commitments"
MONTH = date(2026, 11, 1)
TYPES = ["disclosure", "industry", "repair", "certification", "approval"]
TEXT = "本单位郑重承诺：依法诚信经营，所提交材料真实有效，自觉接受政府、行业和社会监督；如有违背，自愿接受约束和惩戒。"


def seed(session: Session, rows: int) -> None:
    firms, persons = max(rows // 5, 1), max(rows // 20, 1)
    fids = session.execute(insert(Subject).returning(Subject.id), [{"kind": SubjectKind.FIRM}] * firms).scalars().all()
    session.execute(insert(Firm), [
        {"id": sid, "uscc": make_uscc("91", "320803", f"CM{i:06d}"), "name": f"淮安区压测企业{i}有限公司",
         "entity_type": "91", "region_code": "320803"} for i, sid in enumerate(fids)])
    pids = session.execute(insert(Subject).returning(Subject.id), [{"kind": SubjectKind.PERSON}] * persons).scalars().all()
    numbers = [make_resident_id("320803", date(1960, 1, 1) + timedelta(days=i // 500), i % 500) for i in range(persons)]
    session.execute(insert(Person), [
        {"id": pid, "id_number": n, "id_number_bidx": id_number_index(n), "name": "压测人员", "gender": "M",
         "birth_year": 1960, "region_code": "320803"} for pid, n in zip(pids, numbers, strict=True)])
    dept = Department(code="BENCHC", name="承诺压测部门", short_name="承诺压测", org_type=OrgType.GOVERNMENT,
                      record_kinds=[])
    account = Account(openid="bench-commitments")
    session.add_all([dept, account])
    session.flush()
    item = CommitmentItem(department_id=dept.id, code="B-1", name="压测承诺事项", type="disclosure",
                          subject_kinds=["firm"], refuse_listed=False, template_version=1, active=True)
    session.add(item)
    session.flush()
    session.add(CommitmentTemplate(item_id=item.id, version=1, body=TEXT))
    subjects = [*fids, *pids]
    chunk = 10_000
    for start in range(0, rows, chunk):
        values = [
            {"subject_id": subjects[i % len(subjects)], "type": TYPES[i % len(TYPES)], "department_id": dept.id,
             "matter": f"压测承诺事项{i % 40}", "content": TEXT, "document_no": f"淮区压诺〔2026〕{i}号",
             "signed_on": MONTH + timedelta(days=i % 30), "valid_until": MONTH + timedelta(days=365),
             "status": "active"}
            for i in range(start, min(start + chunk, rows))
        ]
        ids = session.execute(insert(Commitment).returning(Commitment.id), values).scalars().all()
        session.execute(insert(CommitmentLetter), [
            {"commitment_id": cid, "item_id": item.id, "template_version": 1, "text": TEXT,
             "content_hash": content_hash(TEXT), "signer_account_id": account.id,
             "signer_identity_level": "self_declared", "verify_code": f"bench{cid}"}
            for n, cid in enumerate(ids) if n % 5 == 0])


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class RssSampler(threading.Thread):
    """The highest resident memory seen every 20 ms while the report runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.start_mb = self.peak_mb = _rss_mb()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak_mb = max(self.peak_mb, _rss_mb())

    def stop(self) -> None:
        self.done.set()
        self.join()
        self.peak_mb = max(self.peak_mb, _rss_mb())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--trace", action="store_true", help="a second pass under tracemalloc (slow)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    engine = prepared_engine(args.url)
    out = Path(tempfile.mkdtemp(prefix="bench-commitments-")) / "registration.xlsx"
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            t0 = time.perf_counter()
            seed(session, args.rows)
            session.flush()
            seeded = time.perf_counter() - t0
            sampler = RssSampler()
            sampler.start()
            t1, c1 = time.perf_counter(), time.process_time()
            written = write_report(session, SYSTEM, "registration", MONTH, out, base_url="https://credit.example")
            took, cpu = time.perf_counter() - t1, time.process_time() - c1
            sampler.stop()
            peak = None
            if args.trace:
                tracemalloc.start()
                write_report(session, SYSTEM, "registration", MONTH, out, base_url="https://credit.example")
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
        finally:
            session.close()
            outer.rollback()
    engine.dispose()
    size = out.stat().st_size / 1e6
    print(f"database:      {engine.dialect.name} ({args.url.split('@')[-1]})")
    print(f"seeded:        {args.rows} commitments of {MONTH:%Y-%m} in {seeded:.1f} s")
    print(f"report:        {written} rows -> {size:.1f} MB XLSX in {took:.2f} s ({written / took:,.0f} rows/s)"
          f" — target ≤ 20 s: {'met' if took <= 20 else 'MISSED'}")
    # On a shared machine the wall time includes waiting for a core; the CPU time of this process does not.
    print(f"cpu:           {cpu:.2f} s of this process's CPU time for the report "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"memory:        resident {sampler.start_mb:.0f} MB when the report started, peak {sampler.peak_mb:.0f} MB "
          f"during it (+{sampler.peak_mb - sampler.start_mb:.1f} MB); process high-water mark "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6:.0f} MB (includes seeding)")
    if peak is not None:
        print(f"tracemalloc:   Python allocations peaked at {peak / 1e6:.1f} MB while writing")
    out.unlink()
    return 0 if written == args.rows and took <= 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
