"""``flask demo seed``: a small, valid, idempotent district; refused in production."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from backend.common.ids import parse_resident_id, parse_uscc
from backend.demo.seed import DEMO_OPENID, DEMO_STAFF, seed_demo
from backend.lists.models import ListEntry, ListType
from backend.platform.errors import Forbidden
from backend.records.models import CreditRecord, RecordKind
from backend.staff.models import Role, StaffUser
from backend.subjects.models import Account, Firm, Person


def _count(db, model) -> int:
    return db.execute(select(func.count()).select_from(model)).scalar()


def _seed_cli(app):
    return app.test_cli_runner().invoke(args=["demo", "seed"])


def test_seed_command_builds_the_district(app, db):
    result = _seed_cli(app)
    assert result.exit_code == 0, result.output
    assert "admin-demo-2026" in result.output  # the development passwords are printed for the README
    assert _count(db, Person) == 36
    assert _count(db, Firm) == 24
    assert {u.role for u in db.execute(select(StaffUser)).scalars()} == set(Role)
    kinds = set(db.execute(select(CreditRecord.kind).distinct()).scalars())
    assert kinds == set(RecordKind)
    assert set(db.execute(select(ListEntry.list_type).distinct()).scalars()) == set(ListType)


def test_codes_are_valid_and_every_firm_has_a_legal_representative(app, db):
    seed_demo(db, env="development")
    firms = db.execute(select(Firm)).scalars().all()
    for firm in firms:
        code = parse_uscc(firm.uscc)
        assert code.region == "320803" and code.entity_type in {"91", "92", "93"}
        assert firm.legal_rep_id is not None
        assert firm.name.startswith("淮安区")
    assert {f.entity_type for f in firms} == {"91", "92", "93"}
    for person in db.execute(select(Person)).scalars():
        rid = parse_resident_id(person.id_number)  # decrypted by the column type
        assert rid.region.startswith("3208")
        assert person.region_code == rid.region and person.birth_year == rid.birth_date.year


def test_records_span_both_repair_rule_sets(app, db):
    seed_demo(db, env="development")
    rows = db.execute(select(CreditRecord.decision_date, CreditRecord.rule_version, CreditRecord.decision_no,
                             CreditRecord.status)).all()
    years = {r.decision_date.year for r in rows}
    assert years == {2023, 2024, 2025, 2026}
    # The rule set at decision is the part before ">": since issue 9 item 2 a record decided under
    # Order 58 and still compared with today's rules reads "ndrc-order58-2023>…" (从旧兼从轻).
    versions = {r.rule_version.split(">")[0] for r in rows}
    assert {"ndrc-order58-2023", "ndrc-repair-2026"} <= versions
    assert any(r.decision_no.startswith("淮区市监罚〔") and r.decision_no.endswith("号") for r in rows)
    assert "expired" in {str(r.status) for r in rows}  # the expiry ran: old minor penalties dropped off


def test_no_plaintext_personal_data_in_the_database(app, db):
    seed_demo(db, env="development")
    people = db.execute(select(Person)).scalars().all()
    secrets = {p.id_number for p in people} | {p.phone for p in people if p.phone} | {p.name for p in people}
    raw_rows = db.execute(text("SELECT id_number, name, phone, id_number_bidx, phone_bidx FROM persons")).all()
    raw_audit = db.execute(text("SELECT details FROM audit_log")).all()
    dump = repr(raw_rows) + repr(raw_audit)
    leaked = [s for s in secrets if s in dump]
    assert leaked == []


def test_seed_twice_adds_nothing(app, db):
    first = seed_demo(db, env="development")
    counts = {m.__name__: _count(db, m) for m in (Person, Firm, CreditRecord, ListEntry, StaffUser, Account)}
    second = seed_demo(db, env="development")
    assert second.created == {}
    assert second.existing["records"] == first.created["records"]
    assert {m.__name__: _count(db, m) for m in (Person, Firm, CreditRecord, ListEntry, StaffUser, Account)} == counts


def test_listed_staff_passwords_log_in(app, db, client):
    seed_demo(db, env="development")
    db.flush()
    for spec in DEMO_STAFF:
        resp = client.post("/staff/v1/auth/login", json={"username": spec.username, "password": spec.password})
        assert resp.status_code == 200, (spec.username, resp.json)
        assert resp.json["user"]["role"] == spec.role


def test_dev_demo_login_shows_a_populated_card(app, db, client):
    seed_demo(db, env="development")
    db.flush()
    login = client.post("/miniapp/v1/auth/login", json={"code": "dev:demo"})
    assert login.status_code == 200, login.json
    account = db.execute(select(Account).where(Account.openid == DEMO_OPENID)).scalar_one()
    assert account.person_id is not None
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    me = client.get("/miniapp/v1/me", headers=headers)
    assert me.status_code == 200
    assert len(me.json["firms"]) == 2  # the demo person represents two firms
    card = client.get("/miniapp/v1/me/card", headers=headers)
    assert card.status_code == 200, card.json
    assert card.json["records"]
    assert card.json["evaluation"] is not None


@pytest.mark.parametrize("config_overrides", [{"ENV": "production"}])
def test_seed_is_refused_in_production(app, db, config_overrides):
    result = _seed_cli(app)
    assert result.exit_code != 0
    assert "生产环境不能写入演示数据" in result.output
    scale = app.test_cli_runner().invoke(args=["demo", "seed", "--scale", "10"])
    assert scale.exit_code != 0
    assert _count(db, Person) == 0
    with pytest.raises(Forbidden) as err:
        seed_demo(db, env="production")
    assert err.value.reason == "demo_refused_in_production"
