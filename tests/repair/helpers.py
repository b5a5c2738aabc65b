"""Arrange repair tests: a general (non market-regulation) department, its reviewer, a firm whose legal
representative has a mini-program account, and 一般 penalties through the records service."""

from __future__ import annotations

import io
from datetime import timedelta

from backend.common.clock import china_today
from tests.factories import make_department, staff_headers
from tests.factories.cards import bound_account, firm, headers, person
from tests.queues.helpers import KINDS, credit_admin, penalty, png_bytes, reviewer


def tax_department(db, n: int = 1):
    """A providing department of the general rule family (its name does not say 市场监管)."""
    return make_department(db, record_kinds=KINDS, name=f"淮安区税务局（测试{n}）", short_name=f"区税务局（测试{n}）")


def days_ago(n: int) -> str:
    return (china_today() - timedelta(days=n)).isoformat()


def world(app, db) -> dict:
    dept = tax_department(db)
    rev = reviewer(db, dept)
    admin = credit_admin(db)
    rep = person(db, name="刘修复")
    account, _ = bound_account(db, rep)
    f = firm(db, legal_rep=rep, name="淮安区修复测试有限公司")
    recent = penalty(db, rev, f.uscc, decision_date=days_ago(60), title="未按照规定期限办理纳税申报")
    old = penalty(db, rev, f.uscc, decision_date=days_ago(240), title="未按规定保管账簿凭证")
    db.flush()
    return {"dept": dept, "reviewer": rev, "admin": admin, "rep": rep, "account": account, "firm": f,
            "recent": recent, "old": old, "h": headers(app, account), "hr": staff_headers(app, rev),
            "ha": staff_headers(app, admin)}


def upload(client, h) -> int:
    resp = client.post("/miniapp/v1/uploads", data={"file": (io.BytesIO(png_bytes()), "罚款缴纳凭证.png")}, headers=h,
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def apply(client, w, record_ids, **over):
    body = {"record_ids": record_ids, "methods": ["rectify", "commitment"],
            "statement": "已于本月缴清罚款并完成整改，附缴款凭证。", "proof_upload_ids": [upload(client, w["h"])],
            "promise_acknowledged": True, **over}
    return client.post("/miniapp/v1/repairs", json=body, headers=w["h"])
