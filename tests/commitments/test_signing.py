"""Signing a catalogue commitment in the mini-program: the letter is kept as signed, registered for the
item's department at once, on the card and in the public list, and verifiable (altered text shows)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select, update

from backend.commitments.letters import content_hash
from backend.commitments.models import Commitment, CommitmentLetter, IntegrityAcknowledgement
from backend.staff.models import Role
from tests.factories import make_staff, seeded_department, staff_headers
from tests.factories.cards import approve_agent, bound_account, firm, headers, listing, person

ITEMS = "/staff/v1/commitment-items"
SIGN = "/miniapp/v1/commitments"
FIRM_TEMPLATE = ("本单位{主体名称}（统一社会信用代码：{主体代码}，法定代表人：{法定代表人}）就{承诺事项}郑重承诺："
                 "依法诚信经营，自觉接受社会监督。承诺期限至{承诺期限}。{签署日期}")
PERSON_TEMPLATE = "本人{主体名称}（身份证号：{主体代码}）就{承诺事项}承诺所报情况真实。{签署日期}"


@pytest.fixture
def staff(app, db):
    users = {code: make_staff(db, Role.DEPT_REVIEWER, seeded_department(db, code)) for code in ("SCJG", "XZSP", "RSJ")}
    db.commit()
    return {code: staff_headers(app, u) for code, u in users.items()}


def add_item(client, hdrs, **over):
    body = {"code": "SCJG-GS-01", "name": "守法诚信经营承诺（主动公示）", "type": "disclosure",
            "subject_kinds": ["firm", "sole_trader"], "term_months": 12, "template": FIRM_TEMPLATE}
    body.update(over)
    resp = client.post(ITEMS, json=body, headers=hdrs)
    assert resp.status_code == 200, resp.json
    return resp.json


@pytest.fixture
def rep(app, db):
    """A legal representative (本人声明 实名) of a firm, with mini-program headers."""
    p = person(db, name="王守信")
    account, _ = bound_account(db, p)
    f = firm(db, legal_rep=p, name="淮安区守信食品有限公司")
    db.commit()
    return {"account": account, "person": p, "firm": f, "headers": headers(app, account)}


def sign(client, hdrs, item_id, **over):
    body = {"item_id": item_id, **over}
    return client.post(SIGN, json=body, headers=hdrs)


def first_sign(client, hdrs, item_id, **over):
    """Preview (which hands out the integrity notice), then sign acknowledging it."""
    query = {k: v for k, v in over.items() if k in ("uscc", "approval_no")}
    preview = client.get(f"{SIGN}/items/{item_id}/preview", query_string=query, headers=hdrs)
    assert preview.status_code == 200, preview.json
    notice = preview.json["notice"]
    resp = sign(client, hdrs, item_id, notice_version=notice["version"] if notice else None,
                template_version=preview.json["template_version"], **over)
    assert resp.status_code == 201, resp.json
    return preview.json, resp.json


def test_a_legal_representative_signs_for_the_firm_and_it_is_registered_public_and_verifiable(client, db, staff, rep):
    item = add_item(client, staff["SCJG"])
    uscc = rep["firm"].uscc
    listed = client.get(f"{SIGN}/items", query_string={"uscc": uscc}, headers=rep["headers"]).json
    assert [i["name"] for i in listed["items"]] == ["守法诚信经营承诺（主动公示）"] and listed["items"][0]["available"]

    preview, signed = first_sign(client, rep["headers"], item["id"], uscc=uscc.lower())
    assert "淮安区守信食品有限公司" in preview["text"] and uscc in preview["text"] and "王守信" in preview["text"]
    assert preview["notice"]["body"]  # first signing: the integrity notice comes with the preview
    assert signed["status_label"] == "履约中" and signed["letter"]["text"] == preview["text"]
    assert signed["letter"]["content_hash"] == content_hash(preview["text"])
    assert signed["letter"]["identity_level"] == "self_declared" and signed["letter"]["template_version"] == 1

    stored = db.get(Commitment, signed["id"])
    assert stored.department_id == seeded_department(db, "SCJG").id and stored.content == preview["text"]
    ack = db.execute(select(IntegrityAcknowledgement)).scalar_one()
    assert (ack.subject_id, ack.account_id) == (rep["firm"].id, rep["account"].id)

    # the firm's public card and the staff list show it: the same registration as a typed-in one
    card = client.get(f"/public/v1/firms/{uscc}/card").json
    assert [c["matter"] for c in card["commitments"]] == ["守法诚信经营承诺（主动公示）"]
    staff_list = client.get("/staff/v1/commitments", headers=staff["SCJG"]).json
    assert [c["id"] for c in staff_list["items"]] == [signed["id"]]
    public = client.get("/public/v1/commitments", query_string={"q": f" {uscc.lower()} "}).json
    assert [c["id"] for c in public["items"]] == [signed["id"]] and public["items"][0]["subject"]["code"] == uscc
    by_name = client.get("/public/v1/commitments", query_string={"q": "守信食品", "type": "disclosure"}).json
    assert by_name["total"] == 1

    code = signed["letter"]["verify_url"].rsplit("/", 1)[1]
    verified = client.get(f"/public/v1/commitments/verify/{code}").json
    assert verified["genuine"] is True and verified["status_label"] == "履约中"
    assert verified["subject"]["name"] == "淮安区守信食品有限公司"
    db.execute(update(CommitmentLetter).where(CommitmentLetter.commitment_id == signed["id"])
               .values(text=CommitmentLetter.text + "（另加条款）"))
    db.commit()
    altered = client.get(f"/public/v1/commitments/verify/{code}").json
    assert altered["genuine"] is False and altered["verdict"] == "altered"
    assert client.get("/public/v1/commitments/verify/not-a-real-code").json["reason"] == "letter_unknown"

    mine = client.get(SIGN, headers=rep["headers"]).json["items"]
    assert [(m["id"], m["status_label"]) for m in mine] == [(signed["id"], "履约中")]


def test_a_replayed_signing_returns_the_same_commitment(client, db, staff, rep):
    item = add_item(client, staff["SCJG"])
    h = {**rep["headers"], "Idempotency-Key": "sign-0001"}
    body = {"item_id": item["id"], "uscc": rep["firm"].uscc, "notice_version": 0}
    first = client.post(SIGN, json=body, headers=h)
    second = client.post(SIGN, json=body, headers=h)
    assert first.status_code == second.status_code == 201, first.json
    assert first.json["id"] == second.json["id"] and second.headers.get("Idempotent-Replayed") == "true"
    assert db.execute(select(func.count()).select_from(CommitmentLetter)).scalar_one() == 1
    again = client.post(SIGN, json=body, headers=rep["headers"])  # a new key: a second signing of the same item
    assert again.status_code == 409 and again.json["reason"] == "commitment_already_signed"


def test_refusals_name_their_reason(app, client, db, staff, rep):
    item = add_item(client, staff["SCJG"])
    uscc = rep["firm"].uscc
    no_notice = sign(client, rep["headers"], item["id"], uscc=uscc)
    assert no_notice.status_code == 409 and no_notice.json["reason"] == "integrity_notice_required"

    stranger, _ = bound_account(db)
    db.commit()
    resp = sign(client, headers(app, stranger), item["id"], uscc=uscc, notice_version=0)
    assert resp.status_code == 403 and resp.json["reason"] == "not_firm_agent"

    mine = sign(client, rep["headers"], item["id"], notice_version=0)  # for myself: a firm-only item
    assert mine.status_code == 422 and mine.json["reason"] == "commitment_item_not_applicable"

    listing(db, rep["firm"].id, "serious")
    db.commit()
    listed = sign(client, rep["headers"], item["id"], uscc=uscc, notice_version=0)
    assert listed.status_code == 409 and listed.json["reason"] == "commitment_subject_listed"
    assert "严重失信" in listed.json["message"]
    shown = client.get(f"{SIGN}/items", query_string={"uscc": uscc}, headers=rep["headers"]).json["items"][0]
    assert shown["available"] is False and shown["refusal"]["reason"] == "commitment_subject_listed"


def test_an_approval_commitment_names_the_approval_and_unfillable_placeholders_are_refused(client, db, staff, rep):
    approval = add_item(client, staff["XZSP"], code="XZSP-SP-01", name="食品经营许可（告知承诺）", type="certification",
                        template=FIRM_TEMPLATE + "本承诺替代{审批事项}的相关证明，审批文号：{审批文号}。")
    uscc = rep["firm"].uscc
    resp = sign(client, rep["headers"], approval["id"], uscc=uscc, notice_version=0)
    assert resp.status_code == 422 and resp.json["reason"] == "approval_no_required"
    _, signed = first_sign(client, rep["headers"], approval["id"], uscc=uscc, approval_no="淮区审批受〔2026〕1208号")
    assert signed["letter"]["approval_no"] == "淮区审批受〔2026〕1208号"
    assert signed["letter"]["approval_matter"] == "食品经营许可（告知承诺）"
    assert "淮区审批受〔2026〕1208号" in signed["letter"]["text"]

    person_item = add_item(client, staff["RSJ"], code="RSJ-01", name="就业困难人员认定告知承诺", type="repair",
                           subject_kinds=["person"], template=PERSON_TEMPLATE + "法定代表人：{法定代表人}")
    resp = client.get(f"{SIGN}/items/{person_item['id']}/preview", headers=rep["headers"])
    assert resp.status_code == 422 and resp.json["reason"] == "template_placeholder_unfilled"
    assert "法定代表人" in resp.json["message"]


def test_an_agent_signs_for_the_firm_and_a_person_for_themselves(app, client, db, staff, rep):
    item = add_item(client, staff["SCJG"])
    agent_person = person(db, name="李经办")
    agent, _ = bound_account(db, agent_person)
    approve_agent(db, rep["firm"], agent, agent_person)
    db.commit()
    _, signed = first_sign(client, headers(app, agent), item["id"], uscc=rep["firm"].uscc)
    assert signed["subject"]["name"] == rep["firm"].name

    person_item = add_item(client, staff["RSJ"], code="RSJ-02", name="信用修复承诺", type="repair",
                           subject_kinds=["person"], template=PERSON_TEMPLATE)
    _, mine = first_sign(client, rep["headers"], person_item["id"])
    public = client.get("/public/v1/commitments", query_string={"type": "repair"}).json["items"]
    assert [p["id"] for p in public] == [mine["id"]]
    assert public[0]["subject"]["code"] is None and "王守信" not in str(public[0])  # persons masked, no ID
    code = mine["letter"]["verify_url"].rsplit("/", 1)[1]
    verified = client.get(f"/public/v1/commitments/verify/{code}")
    assert verified.json["genuine"] is True
    assert rep["person"].id_number not in verified.get_data(as_text=True)


@pytest.mark.usefixtures("cjk_font")
def test_the_letter_pdf_carries_the_chinese_text_and_the_hash(client, db, staff, rep):
    from pypdf import PdfReader

    item = add_item(client, staff["SCJG"])
    _, signed = first_sign(client, rep["headers"], item["id"], uscc=rep["firm"].uscc)
    resp = client.get(f"{SIGN}/{signed['id']}/letter.pdf", headers=rep["headers"])
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(resp.data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "守法诚信经营承诺" in text and "淮安区守信食品有限公司" in text
    assert signed["letter"]["content_hash"] in text.replace("\n", "")
    assert reader.pages[0].mediabox.width == pytest.approx(595.27, abs=1)  # A4
    assert b"/FontFile2" in resp.data  # the TrueType font is embedded, not a CID font the reader must have
    stranger, _ = bound_account(db)
    db.commit()
    assert client.get(f"{SIGN}/{signed['id']}/letter.pdf", headers=headers(client.application, stranger)).status_code == 404


def test_staff_lists_do_not_show_the_signers_id_number_from_the_letter_text(app, client, db, staff, rep):
    person_item = add_item(client, staff["RSJ"], code="RSJ-03", name="信用修复承诺", type="repair",
                           subject_kinds=["person"], template=PERSON_TEMPLATE)
    _, mine = first_sign(client, rep["headers"], person_item["id"])
    id_number = rep["person"].id_number
    assert id_number in mine["letter"]["text"]  # the signer's own letter is complete
    listed = client.get("/staff/v1/commitments", headers=staff["RSJ"])
    one = client.get(f"/staff/v1/commitments/{mine['id']}", headers=staff["RSJ"])
    assert listed.status_code == one.status_code == 200
    assert any(i["id"] == mine["id"] for i in listed.json["items"])
    for resp in (listed, one):
        assert id_number not in resp.get_data(as_text=True) and "王守信" not in resp.get_data(as_text=True)


def test_letter_links_point_at_the_public_site_when_it_is_configured(app, client, db, staff, rep):
    """Behind the proxy the request's host is an internal name: the verification and PDF links a
    signer keeps use PUBLIC_BASE_URL, like the card's share links (one helper, backend.http.urls)."""
    item = add_item(client, staff["SCJG"])
    app.config["PUBLIC_BASE_URL"] = "https://xy.huaian.gov.cn/"
    _, signed = first_sign(client, rep["headers"], item["id"], uscc=rep["firm"].uscc)
    assert signed["letter"]["verify_url"].startswith("https://xy.huaian.gov.cn/public/v1/commitments/verify/")
    assert signed["letter"]["pdf_url"] == f"https://xy.huaian.gov.cn/miniapp/v1/commitments/{signed['id']}/letter.pdf"
    app.config["PUBLIC_BASE_URL"] = ""
    mine = client.get(SIGN, headers=rep["headers"]).json["items"]
    assert mine[0]["letter"]["pdf_url"] == f"http://localhost/miniapp/v1/commitments/{signed['id']}/letter.pdf"


def test_my_commitments_list_reads_each_subject_once_whatever_its_length(app, client, db, staff, rep):
    """GET /miniapp/v1/commitments looked the subject up twice per row (firm, then person)."""
    from tests.factories.cards import StatementCounter

    uscc = rep["firm"].uscc
    items = [add_item(client, staff["SCJG"], code=f"SCJG-GS-0{n}", name=f"守法诚信经营承诺{n}") for n in range(1, 5)]
    first_sign(client, rep["headers"], items[0]["id"], uscc=uscc)

    def listed() -> tuple[int, list[dict]]:
        with StatementCounter(db.get_bind().engine) as counter:
            resp = client.get(SIGN, headers=rep["headers"])
        assert resp.status_code == 200, resp.json
        return len(counter.statements), resp.json["items"]

    one, mine = listed()
    for item in items[1:]:
        first_sign(client, rep["headers"], item["id"], uscc=uscc)
    four, mine = listed()
    assert len(mine) == 4 and {m["subject"]["code"] for m in mine} == {uscc}
    assert all(m["subject"]["name"] == "淮安区守信食品有限公司" and m["letter"]["verify_url"] for m in mine)
    assert four == one, f"{four} statements for 4 commitments, {one} for 1"
