"""The audit chain cannot be quietly rewritten: keyed MACs, signed checkpoints, ``flask audit verify``.

Each attack is the one the issue reproduced against the plain SHA-256 chain: edit a row and
recompute every later link, delete the last rows. Both passed ``flask audit verify`` before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
from datetime import timedelta

import pytest
from sqlalchemy import JSON, bindparam, select, text

from backend.common import audit as audit_module
from backend.common.actor import Actor
from backend.common.audit import PII_VIEW, _canonical, audit, audit_keys, audit_pii_view, entry_hash, verify_chain
from backend.common.audit_checkpoints import read_checkpoints, write_audit_checkpoint, write_checkpoint
from backend.common.models import AuditEntry
from backend.platform.db import utcnow
from backend.platform.schedule import PERIODIC_JOBS, resolve

STAFF = Actor("staff", 7, role="credit_admin", ip="10.0.0.8")


@pytest.fixture
def config_overrides(tmp_path):
    return {"AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl")}


@pytest.fixture
def keys():
    """The app's audit keys, restored after a test that swaps them."""
    saved = audit_keys()
    yield saved
    audit_module.configure(saved.keys, saved.active)


def _append(db, n: int) -> list[AuditEntry]:
    rows = [audit(db, STAFF, "test.append", "record", i, step=i) for i in range(n)]
    db.flush()
    return rows


def _rewrite(db, rows: list[AuditEntry], link) -> None:
    """Recompute ``hash`` (with ``link``) and ``prev_hash`` of ``rows`` and every row after them, in SQL."""
    later = db.execute(select(AuditEntry).where(AuditEntry.id >= rows[0].id).order_by(AuditEntry.id)).scalars().all()
    prev = db.execute(select(AuditEntry.hash).where(AuditEntry.id < rows[0].id).order_by(AuditEntry.id.desc())
                      .limit(1)).scalar() or audit_module.GENESIS
    for row in later:
        db.refresh(row)
        row.prev_hash = prev
        row.hash = link(row)
        db.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :id"),
                   {"p": row.prev_hash, "h": row.hash, "id": row.id})
        prev = row.hash
    db.expire_all()


def _edit_details(db, row: AuditEntry, details: dict) -> None:
    db.execute(text("UPDATE audit_log SET details = :d WHERE id = :id").bindparams(bindparam("d", type_=JSON)),
               {"d": details, "id": row.id})


def _verify(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def test_each_row_is_a_keyed_mac_with_its_key_id(db):
    row = _append(db, 1)[0]
    assert row.key_id == audit_keys().active
    plain = hashlib.sha256(_canonical(row.prev_hash, row.at, row.actor, row.action, row.target_type, row.target_id,
                                      row.details, row.ip, row.key_id)).hexdigest()
    assert row.hash != plain and row.hash == entry_hash(row)


def test_an_edited_row_with_every_later_link_recomputed_without_the_key_is_found_at_that_row(app, db, keys):
    rows = _append(db, 5)
    _edit_details(db, rows[2], {"step": 99})
    # The attacker runs the app's own function, but with a key of their own (the public default
    # SECRET_KEY's derivation, say): every later link fits together, the MACs do not.
    audit_module.configure({keys.active: b"attacker-guess-0123456789abcdefg"}, keys.active)
    _rewrite(db, rows[2:], entry_hash)
    audit_module.configure(keys.keys, keys.active)
    report = verify_chain(db)
    assert report.first_bad_id == rows[2].id and "altered" in report.problem
    result = _verify(app)
    assert result.exit_code == 1 and result.output.startswith(f"audit chain BROKEN at row {rows[2].id}: ")


def test_a_chain_rehashed_with_plain_sha256_is_refused(db):
    rows = _append(db, 3)
    _edit_details(db, rows[1], {"step": 42})
    _rewrite(db, rows[1:], lambda r: hashlib.sha256(_canonical(
        r.prev_hash, r.at, r.actor, r.action, r.target_type, r.target_id, r.details, r.ip, r.key_id)).hexdigest())
    assert verify_chain(db).first_bad_id == rows[1].id


def test_truncation_after_a_checkpoint_is_reported_with_the_first_missing_row(app, db):
    rows = _append(db, 5)
    write_checkpoint(db)
    assert _verify(app).exit_code == 0
    db.execute(text("DELETE FROM audit_log WHERE id >= :id"), {"id": rows[3].id})
    db.flush()
    report = verify_chain(db, checkpoints=read_checkpoints()[0])
    assert report.first_bad_id == rows[3].id and "truncated" in report.problem
    result = _verify(app)
    assert result.exit_code == 1
    assert result.output.startswith(f"audit chain BROKEN at row {rows[3].id}: rows after {rows[2].id} are missing")


def test_a_tail_recomputed_with_the_real_key_differs_from_the_checkpoint(app, db):
    first = _append(db, 3)
    write_checkpoint(db)
    rows = _append(db, 3)
    write_checkpoint(db)
    _edit_details(db, rows[1], {"step": 7})
    _rewrite(db, rows[1:], entry_hash)  # an insider who holds the key: every MAC is valid again
    assert verify_chain(db).ok  # the MACs alone cannot tell…
    report = verify_chain(db, checkpoints=read_checkpoints()[0])
    assert not report.ok and "differ from the checkpoint" in report.problem
    # …the checkpoints can: the rewrite lies after the last row the earlier checkpoint vouched for.
    assert report.first_bad_id == rows[0].id and str(first[-1].id) in report.problem
    assert _verify(app).exit_code == 1


def test_an_edited_checkpoint_line_is_refused(app, db, config_overrides):
    _append(db, 2)
    write_checkpoint(db)
    path = config_overrides["AUDIT_CHECKPOINT_FILE"]
    line = json.loads(open(path).read())
    line["rows"] += 5  # pretend more rows existed, or fewer
    with open(path, "a") as fh:
        fh.write(json.dumps(line) + "\n")
    result = _verify(app)
    assert result.exit_code == 1 and "audit checkpoint REFUSED, line 2: signature does not match" in result.output


def test_the_hourly_job_appends_signed_checkpoints_to_the_file_and_the_log(app, db, config_overrides, caplog):
    caplog.set_level(logging.INFO, logger="backend.common.audit_checkpoints")
    rows = _append(db, 2)
    db.commit()  # the job opens its own session (on the test's connection)
    assert write_audit_checkpoint() == rows[-1].id
    _append(db, 1)
    db.commit()
    write_audit_checkpoint()
    path = config_overrides["AUDIT_CHECKPOINT_FILE"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    checkpoints, bad = read_checkpoints(path)
    assert not bad and [c.last_id for c in checkpoints] == [rows[-1].id, rows[-1].id + 1]
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("audit checkpoint ")]
    assert len(logged) == 2 and logged[1].endswith(open(path).read().splitlines()[1])
    assert not re.search(r"\d{11}", "".join(logged))  # base64: never masked as an ID number in the log
    result = _verify(app)
    assert result.exit_code == 0 and result.output.startswith(f"audit chain OK: {checkpoints[-1].rows} rows, 2 ")
    job = next(j for j in PERIODIC_JOBS if j.name == "audit-checkpoint")
    first = job.next_slot(utcnow())
    assert job.next_slot(first) - first == timedelta(hours=1) and resolve(job.target) is write_audit_checkpoint


def test_keys_rotate_by_key_id(db, keys):
    old = _append(db, 2)
    audit_module.configure({**keys.keys, "k2": b"k" * 32}, "k2")
    new = _append(db, 2)
    assert {r.key_id for r in old} == {keys.active} and {r.key_id for r in new} == {"k2"}
    assert verify_chain(db).ok  # both key ids listed: old rows verify under their own key
    audit_module.configure({"k2": b"k" * 32}, "k2")  # the old key dropped from AUDIT_KEYS
    report = verify_chain(db)
    assert not report.ok and "does not list" in report.problem


def test_rows_from_before_the_mac_verify_only_before_the_first_keyed_row(db):
    rows = _append(db, 3)
    # As migration 0009 found it: the first row without key id, linked by plain SHA-256.
    legacy = rows[0]
    db.execute(text("UPDATE audit_log SET key_id = NULL WHERE id = :id"), {"id": legacy.id})
    earlier = db.execute(select(AuditEntry.id).where(AuditEntry.id < legacy.id)).first()
    db.expire_all()
    if earlier is None:
        _rewrite(db, rows[:1], lambda r: hashlib.sha256(_canonical(
            r.prev_hash, r.at, r.actor, r.action, r.target_type, r.target_id, r.details, r.ip)).hexdigest())
        _rewrite(db, rows[1:], entry_hash)
        assert verify_chain(db).ok
    db.execute(text("UPDATE audit_log SET key_id = NULL WHERE id = :id"), {"id": rows[2].id})
    db.expire_all()
    report = verify_chain(db)
    assert report.first_bad_id == (rows[2].id if earlier is None else legacy.id)


def test_staff_views_of_unmasked_data_are_audited_and_the_owner_is_not(db):
    entry = audit_pii_view(db, STAFF, "person", 12, ["name", "id_number", "name"], purpose="异议核查")
    assert entry is not None and entry.action == PII_VIEW and entry.target_id == "12"
    assert entry.details == {"fields": ["id_number", "name"], "purpose": "异议核查"}
    assert entry.actor == "staff:7"
    assert audit_pii_view(db, Actor("account", 3), "person", 12, ["id_number"]) is None
    assert verify_chain(db).ok
