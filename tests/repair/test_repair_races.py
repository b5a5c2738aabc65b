"""Two filings on one record at the same moment (PostgreSQL, real commits): exactly one application is
accepted, the other is refused ``repair_open`` — the record row lock, backed by the partial unique index."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.common.actor import SYSTEM, Actor
from backend.common.clock import china_today
from backend.common.ids import make_resident_id
from backend.common.models import AuditEntry
from backend.platform.db import make_engine
from backend.platform.errors import DomainError
from backend.queues.models import QueueEvent, QueueItem
from backend.records.models import CreditRecord
from backend.repair.models import RepairApplication, RepairRecord
from backend.repair.services import file_repair
from backend.staff.models import Department, OrgType
from backend.subjects.models import Account, Person, Subject
from backend.subjects.services import register_person
from backend.uploads.models import Upload
from backend.uploads.services import store_upload
from tests.backends import needs_postgres
from tests.conftest import make_config
from tests.factories.records import make_record
from tests.factories.sequence import next_n
from tests.queues.helpers import png_bytes


@pytest.fixture
def committed(app, database_url, redis_url):
    """Committed rows in an app of their own (the race needs other connections to see them), removed after."""
    own = make_engine(database_url)
    setup = create_app(make_config(database_url, redis_url))
    ctx = setup.app_context()
    ctx.push()
    with own.connect() as conn:
        start = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
    n = next_n()
    with Session(own) as s:
        dept = Department(code=f"RRACE{n}", name=f"修复竞态测试局{n}", short_name=f"修复竞态{n}",
                          org_type=OrgType.GOVERNMENT, record_kinds=["admin_penalty"])
        s.add(dept)
        s.flush()
        person = register_person(s, SYSTEM, id_number=make_resident_id("320803", date(1986, 4, 1), n % 1000),
                                 name="吴竞修")
        accounts = [Account(openid=f"repair-race-{n}-{i}", person_id=person.id, identity_level="self_declared")
                    for i in range(2)]
        s.add_all(accounts)
        s.flush()
        record = make_record(s, person.id, department_id=dept.id, decided=china_today() - timedelta(days=240))
        actors = [Actor("account", a.id, person_id=person.id) for a in accounts]
        uploads = [store_upload(s, actor, content=png_bytes(), filename="凭证.png").id for actor in actors]
        s.commit()
        ids = {"dept": dept.id, "person": person.id, "accounts": [a.id for a in accounts], "record": record.id}
    yield own, ids, actors, uploads
    ctx.pop()
    setup.extensions["database"].engine.dispose()
    with own.begin() as conn:
        apps = select(RepairApplication.id).where(RepairApplication.subject_id == ids["person"])
        items = select(QueueItem.id).where(QueueItem.kind == "repair", QueueItem.ref_id.in_(apps))
        conn.execute(delete(QueueEvent).where(QueueEvent.item_id.in_(items)))
        conn.execute(delete(QueueItem).where(QueueItem.kind == "repair", QueueItem.ref_id.in_(apps)))
        conn.execute(delete(RepairRecord).where(RepairRecord.application_id.in_(apps)))
        conn.execute(delete(RepairApplication).where(RepairApplication.subject_id == ids["person"]))
        conn.execute(delete(Upload).where(Upload.account_id.in_(ids["accounts"])))
        conn.execute(delete(CreditRecord).where(CreditRecord.id == ids["record"]))
        conn.execute(delete(Account).where(Account.id.in_(ids["accounts"])))
        conn.execute(delete(Person).where(Person.id == ids["person"]))
        conn.execute(delete(Subject).where(Subject.id == ids["person"]))
        conn.execute(delete(Department).where(Department.id == ids["dept"]))
        conn.execute(delete(AuditEntry).where(AuditEntry.id > start))
    own.dispose()


@needs_postgres("two filings racing on the records' row locks (SQLite serialises every writer)")
def test_two_filings_on_one_record_at_once_one_is_accepted(committed):
    own, ids, actors, uploads = committed
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def file(i: int) -> None:
        with Session(own) as s:
            barrier.wait(5)
            try:
                file_repair(s, actors[i], record_ids=[ids["record"]], methods=["rectify"], statement="已缴清罚款",
                            proof_upload_ids=[uploads[i]], promise_acknowledged=True)
                s.commit()
                outcomes.append("ok")
            except DomainError as exc:
                s.rollback()
                outcomes.append(exc.reason)

    threads = [threading.Thread(target=file, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["ok", "repair_open"]
    with Session(own) as s:
        links = s.execute(select(RepairRecord).where(RepairRecord.record_id == ids["record"])).scalars().all()
        assert len(links) == 1 and links[0].is_open
        assert len(s.execute(select(QueueItem.id).where(QueueItem.kind == "repair",
                                                        QueueItem.ref_id == links[0].application_id)).all()) == 1
