"""``flask demo seed``: a small, realistic 淮安区 through the domain services, idempotent.

36 persons (resident IDs of 淮安区 and its neighbours), 24 firms (企业 91, 个体工商户 92, 农民专业合作社 93)
each with a legal representative, credit records of every kind dated 2023–2026 (so both the Order 58
rules and the 2026 repair rules apply; the user's firm has two 一般 penalties, ~8 and ~2 months old, for 信用修复), entries on the 红名单 / 重点关注 / 严重失信 / 禁入 lists, six 信用承诺 (four active, two kept), the departments' 信用承诺事项清单, one staff
account per role, and the mini-program account ``dev-demo`` bound to a person who represents two firms.

Running it again adds nothing: persons are found by ID number, firms by USCC, records by
(department, decision number, subject), staff by username, list entries by (subject, list, decision),
commitments by (subject, document number).
Records are submitted as if published on time (a few deliberately late); afterwards the periodic
expiry runs once, so records past their maximum period show 已到期 as they would in a live system,
and every demo subject is evaluated (grade / score) so cards and staff lists are populated.
The services used: register_person / register_firm, submit_record, create_staff_user,
bind_identity, add_list_entry, register_commitment / close_commitment, expire_due_records,
expire_list_entries, evaluate_subject. The merchant organisation has no service yet: it is inserted here, with its audit row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.commitments.catalogue import save_item
from backend.commitments.models import Commitment
from backend.commitments.services import close_commitment, register_commitment
from backend.commitments.signing import current_notice, publish_notice
from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.crypto import mask_id_number, mask_name
from backend.common.ids import USCC_CHARSET, make_resident_id, make_uscc
from backend.demo import data
from backend.demo.perks import ensure_perks
from backend.demo.rows import firm_name, person_name, phone_number
from backend.evaluation.services import evaluate_subject
from backend.lists.models import ListEntry, ListType
from backend.lists.services import add_list_entry, expire_list_entries
from backend.platform.errors import Conflict, Forbidden
from backend.records.services import expire_due_records, submit_record
from backend.records.validation import local_today
from backend.staff.models import Department, OrgType, StaffUser
from backend.staff.services import create_staff_user
from backend.subjects.accounts import account_actor, bind_identity
from backend.subjects.identity import SelfDeclaredVerifier
from backend.subjects.models import Account, Firm, Person
from backend.subjects.services import find_firm, find_person, register_firm, register_person

SEED = 2026
PERSON_COUNT = 36
FIRM_TYPES = ("91",) * 16 + ("92",) * 5 + ("93",) * 3  # 24 firms
DEMO_OPENID = "dev-demo"  # the mini-program's development login "dev:demo"
RULES_CHANGE = date(2026, 4, 1)  # 《信用修复管理办法》 in force

# A partner merchant (信易+ 合作商户) for the merchant role; invented, not a real business.
DEMO_MERCHANT = {"code": "HMCS", "name": "淮安区惠民连锁超市有限公司", "short_name": "惠民超市"}


@dataclass(frozen=True)
class StaffSpec:
    username: str
    password: str  # development only: printed by the command, listed in the README
    display_name: str
    role: str
    department: str


DEMO_STAFF = (
    StaffSpec("credit.admin", "admin-demo-2026", "信用办管理员（演示）", "credit_admin", "FGW"),
    StaffSpec("scjg.reviewer", "reviewer-demo-2026", "市场监管局审核员（演示）", "dept_reviewer", "SCJG"),
    StaffSpec("auditor", "auditor-demo-2026", "审计员（演示）", "auditor", "FGW"),
    StaffSpec("jsyh.bank", "bank-demo-2026", "江苏银行信贷经理（演示）", "bank_partner", "JSYH"),
    StaffSpec("hmcs.merchant", "merchant-demo-2026", "惠民超市店长（演示）", "merchant", DEMO_MERCHANT["code"]),
    # the second partner bank's loan officer (信易贷: each bank sees only its own applications) and the
    # approval bureau's clerk (信易批 容缺受理 markers)
    StaffSpec("hansh.bank", "hansh-demo-2026", "淮安农商行信贷经理（演示）", "bank_partner", "HANSH"),
    StaffSpec("xzsp.reviewer", "xzsp-demo-2026", "行政审批局窗口审核员（演示）", "dept_reviewer", "XZSP"),
)


@dataclass
class SeedSummary:
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    staff: list[dict[str, str]] = field(default_factory=list)
    firms: list[dict[str, str]] = field(default_factory=list)  # uscc, name (public information)
    demo_openid: str = DEMO_OPENID
    demo_person: str = ""  # masked name and ID number
    expired_records: int = 0

    def count(self, what: str, created: bool) -> None:
        bucket = self.created if created else self.existing
        bucket[what] = bucket.get(what, 0) + 1


def ensure_not_production(env: str) -> None:
    """Demo data never goes into a production database."""
    if env == "production":
        raise Forbidden("demo_refused_in_production", "生产环境不能写入演示数据。")


# --- the district, deterministically ---------------------------------------------------------


def demo_people(rng: random.Random) -> list[dict[str, str]]:
    """Persons: two thirds born in 淮安区, the rest in neighbouring districts; sequence numbers 001–099."""
    people, numbers = [], set()
    while len(people) < PERSON_COUNT:
        region = data.HUAIAN_DISTRICT if len(people) < 24 else rng.choice(data.NEARBY_REGIONS)
        born = date(1955, 1, 1) + timedelta(days=rng.randrange(45 * 365))
        number = make_resident_id(region, born, rng.randrange(1, 100))
        if number in numbers:
            continue
        numbers.add(number)
        people.append({"id_number": number, "name": person_name(rng), "phone": phone_number(rng)})
    return people


def _org8(i: int) -> str:
    """``MA1`` + four characters + one: organisation codes of the demo (the scale loader uses ``MA0``)."""
    k = (i + 1) * 7_919 * 104_729 % 31**5
    chars = []
    for _ in range(5):
        k, r = divmod(k, 31)
        chars.append(USCC_CHARSET[r])
    return "MA1" + "".join(chars)


def demo_firms(rng: random.Random) -> list[dict[str, Any]]:
    firms, names = [], set()
    for i, etype in enumerate(FIRM_TYPES):
        while True:
            name, industry, domain = firm_name(rng, etype)
            if name not in names:
                break
        names.add(name)
        town = next((t for t in data.TOWNS if t in name), None) or rng.choice(data.TOWNS)
        firms.append({
            "uscc": make_uscc(etype, data.HUAIAN_DISTRICT, _org8(i)),
            "name": name,
            "industry": industry,
            "domain": domain,
            "established_on": date(2005, 1, 1) + timedelta(days=rng.randrange(17 * 365)),
            "registered_capital": f"{rng.randrange(5, 300) * 10}万元人民币" if etype != "92" else None,
            "address": f"江苏省淮安市淮安区{town}{rng.choice(data.ROADS)}{rng.randrange(1, 300)}号",
            "business_scope": f"{industry}相关业务（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
            "rep": i % 20,  # persons 0–3 represent two firms each
        })
    return firms


def _decision_day(rng: random.Random, after_change: bool, today: date) -> date:
    if after_change:
        first, last = RULES_CHANGE, min(today - timedelta(days=5), date(2026, 11, 20))
    else:
        first, last = date(2023, 1, 3), RULES_CHANGE - timedelta(days=1)
    if last < first:
        last = first
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def demo_records(rng: random.Random, people: list[dict], firms: list[dict], today: date) -> list[dict[str, Any]]:
    """Every template at least once (so every RecordKind), alternating the two rule periods, plus a
    second round at random; person 0 (the dev-demo user) and firm 0 (theirs) get a few each."""
    specs: list[dict[str, Any]] = []

    def add(t: data.RecordTemplate, code: str, day: date, late: bool = False) -> None:
        severity = rng.choice(t.severities) if t.severities else None
        amount = (rng.randrange(*t.amount) // 100 * 100) if t.amount else None
        specs.append({
            "subject_code": code, "kind": t.kind, "severity": severity, "decision_no": None, "decision_date": day,
            "title": t.title, "summary": t.summary, "legal_basis": t.legal_basis, "domain": t.domain,
            "amount_yuan": amount, "result": t.result, "department_code": t.dept, "_late": late, "_template": t,
        })

    def subject_for(t: data.RecordTemplate, j: int) -> str:
        person = t.subject == "person" or (t.subject == "any" and j % 2)
        return people[1 + j % (len(people) - 1)]["id_number"] if person else firms[1 + j % (len(firms) - 1)]["uscc"]

    for round_ in range(2):
        for j, t in enumerate(data.RECORD_TEMPLATES):
            if round_ and rng.random() < 0.4:
                continue
            add(t, subject_for(t, j * 7 + round_ * 3), _decision_day(rng, (j + round_) % 2 == 1, today),
                late=(j + round_) % 11 == 5)
    by_title = {t.title: t for t in data.RECORD_TEMPLATES}
    me, my_firm = people[0]["id_number"], firms[0]["uscc"]
    for title, code, after in (
        ("淮安区诚信市民", me, True), ("擅自占用城市道路经营", me, False), ("发放一次性创业补贴", me, False),
        ("食品经营许可证核发", my_firm, False), ("未按规定公示商品价格", my_firm, True),
        ("食品安全监督检查（双随机抽查）", my_firm, True), ("淮安区“守合同重信用”企业", my_firm, False),
    ):
        add(by_title[title], code, _decision_day(rng, after, today))
    # Decision numbers grow with the date within each department's series and year.
    serials: dict[tuple[str, int], int] = {}
    for spec in sorted(specs, key=lambda s: s["decision_date"]):
        t, year = spec["_template"], spec["decision_date"].year
        serials[(t.doc, year)] = serials.get((t.doc, year), 10) + rng.randrange(1, 9)
        spec["decision_no"] = data.decision_number(t, year, serials[(t.doc, year)])
    # 信用修复 demo: two 一般 penalties of the user's firm from a general-rules department (not market
    # regulation), one ~8 months old (repairable now, with the score it would give) and one ~2 months
    # old (not yet, with the date). Fixed serials (no draw from rng: the other rows stay as they were).
    repairable = by_title["未按规定对从业人员进行安全生产教育和培训"]
    for serial, days in ((901, 240), (902, 60)):
        day = today - timedelta(days=days)
        specs.append({
            "subject_code": my_firm, "kind": repairable.kind, "severity": "general",
            "decision_no": data.decision_number(repairable, day.year, serial), "decision_date": day,
            "title": repairable.title, "summary": repairable.summary, "legal_basis": repairable.legal_basis,
            "domain": repairable.domain, "amount_yuan": 20000, "result": None, "department_code": repairable.dept,
            "_late": False, "_template": repairable,
        })
    return specs


def _published_on(spec: dict[str, Any], today: date) -> date:
    """When the record went online: within a few days, or (deliberately) three weeks late."""
    return min(spec["decision_date"] + timedelta(days=21 if spec["_late"] else 3), today)


# --- writing ---------------------------------------------------------------------------------


def _department(session: Session, code: str) -> Department | None:
    return session.execute(select(Department).where(Department.code == code)).scalar()


def _ensure_merchant(session: Session, actor: Actor, summary: SeedSummary) -> None:
    if _department(session, DEMO_MERCHANT["code"]) is not None:
        summary.count("departments", False)
        return
    dept = Department(code=DEMO_MERCHANT["code"], name=DEMO_MERCHANT["name"], short_name=DEMO_MERCHANT["short_name"],
                      org_type=OrgType.MERCHANT, record_kinds=[])
    session.add(dept)
    session.flush()
    audit(session, actor, "department.create", "department", dept.id, code=dept.code, source="demo")
    summary.count("departments", True)


def _ensure_staff(session: Session, actor: Actor, summary: SeedSummary) -> None:
    for spec in DEMO_STAFF:
        exists = session.execute(select(StaffUser.id).where(StaffUser.username == spec.username)).first()
        if exists is None:
            dept = _department(session, spec.department)
            create_staff_user(session, actor, username=spec.username, password=spec.password,
                              display_name=spec.display_name, role=spec.role,
                              department_id=dept.id if dept else None)
        summary.count("staff", exists is None)
        summary.staff.append({"username": spec.username, "password": spec.password, "role": spec.role,
                              "department": spec.department})


def _ensure_people(session: Session, actor: Actor, people: list[dict], summary: SeedSummary) -> list[Person]:
    out = []
    for p in people:
        person = find_person(session, p["id_number"])
        summary.count("persons", person is None)
        out.append(person or register_person(session, actor, id_number=p["id_number"], name=p["name"],
                                              phone=p["phone"]))
    return out


def _ensure_firms(session: Session, actor: Actor, firms: list[dict], persons: list[Person],
                  summary: SeedSummary) -> list[Firm]:
    out = []
    for f in firms:
        firm = find_firm(session, f["uscc"])
        summary.count("firms", firm is None)
        if firm is None:
            firm = register_firm(
                session, actor, uscc=f["uscc"], name=f["name"], legal_rep=persons[f["rep"]],
                established_on=f["established_on"], address=f["address"], industry=f["industry"],
                registered_capital=f["registered_capital"], business_scope=f["business_scope"],
            )
        out.append(firm)
        summary.firms.append({"uscc": firm.uscc, "name": firm.name})
    return out


def _ensure_records(session: Session, actor: Actor, specs: list[dict], today: date, summary: SeedSummary) -> None:
    for spec in specs:
        row = {k: v for k, v in spec.items() if not k.startswith("_")}
        try:
            submit_record(session, actor, row, today=_published_on(spec, today))
        except Conflict as err:
            if err.reason != "duplicate_record":
                raise
            summary.count("records", False)
        else:
            summary.count("records", True)


def _ensure_lists(session: Session, actor: Actor, firms: list[Firm], persons: list[Person], today: date,
                  summary: SeedSummary) -> None:
    entries = (  # (list type, subject, listed on)
        (ListType.RED, firms[0], date(2026, 5, 20)),
        (ListType.RED, firms[5], date(2025, 6, 18)),
        (ListType.WATCH, firms[7], date(2025, 7, 15)),
        (ListType.SERIOUS, firms[9], date(2024, 9, 12)),
        (ListType.BAN, firms[9], date(2024, 9, 12)),
        (ListType.SERIOUS, persons[30], date(2025, 3, 6)),
    )
    for n, (list_type, subject, listed) in enumerate(entries, start=1):
        dept_code, doc, reason, basis, domain, years = data.LIST_TEMPLATES[list_type.value]
        decision_no = doc.format(y=listed.year, n=n + 3)
        exists = session.execute(select(ListEntry.id).where(
            ListEntry.subject_id == subject.id, ListEntry.list_type == list_type, ListEntry.decision_no == decision_no,
        )).first()
        summary.count("list_entries", exists is None)
        if exists is not None:
            continue
        code = subject.uscc if isinstance(subject, Firm) else subject.id_number
        try:
            add_list_entry(
                session, actor, subject_code=code, list_type=list_type, reason=reason, legal_basis=basis,
                decision_no=decision_no, domain=domain, listed_on=listed, department_code=dept_code,
                expires_on=date(listed.year + years, listed.month, listed.day) if years else None,
            )
        except Conflict:  # staff listed it meanwhile under another decision: keep theirs
            continue


def _ensure_commitments(session: Session, actor: Actor, firms: list[Firm], persons: list[Person],
                        summary: SeedSummary) -> None:
    for who, i, ctype, dept, doc, matter, content, signed, until, kept in data.COMMITMENT_TEMPLATES:
        subject = firms[i] if who == "firm" else persons[i]
        exists = session.execute(select(Commitment.id).where(
            Commitment.subject_id == subject.id, Commitment.document_no == doc)).first()
        summary.count("commitments", exists is None)
        if exists is not None:
            continue
        code = subject.uscc if isinstance(subject, Firm) else subject.id_number
        c = register_commitment(
            session, actor, subject_code=code, commitment_type=ctype, matter=matter, content=content,
            signed_on=date.fromisoformat(signed), valid_until=date.fromisoformat(until), document_no=doc,
            department_code=dept,
        )
        if kept:
            close_commitment(session, actor, c.id, outcome="kept", note="承诺期满，经核查未发现违诺行为。",
                             closed_on=date.fromisoformat(kept))


def _ensure_catalogue(session: Session, actor: Actor, summary: SeedSummary) -> None:
    """The departments' 信用承诺事项清单 and the integrity notice, through the catalogue services."""
    for dept, code, name, ctype, kinds, refuse, months, template in data.CATALOGUE:
        saved = save_item(session, actor, department_code=dept, code=code, name=name, commitment_type=ctype,
                          subject_kinds=kinds.split("、"), refuse_listed=refuse, term_months=months, template=template)
        summary.count("commitment_items", saved.outcome == "created")
    if current_notice(session)[0] == 0:
        publish_notice(session, actor, title=data.INTEGRITY_NOTICE[0], body=data.INTEGRITY_NOTICE[1])


def _ensure_account(session: Session, actor: Actor, person: dict[str, str], summary: SeedSummary) -> None:
    """The ``dev-demo`` mini-program account, bound (本人声明) through the real binding service."""
    account = session.execute(select(Account).where(Account.openid == DEMO_OPENID)).scalar()
    summary.count("accounts", account is None)
    if account is None:
        account = Account(openid=DEMO_OPENID)
        session.add(account)
        session.flush()
        audit(session, actor, "account.create", "account", account.id, source="demo")
    if account.person_id is None:
        bind_identity(session, account_actor(account, None), name=person["name"], id_number=person["id_number"],
                      verifier=SelfDeclaredVerifier())


def seed_demo(session: Session, *, env: str, actor: Actor = SYSTEM, today: date | None = None) -> SeedSummary:
    """Create the demo district (what is missing of it); flushes, the caller commits.

    ``env`` is the app's ``ENV``: ``production`` is refused (reason ``demo_refused_in_production``).
    """
    ensure_not_production(env)
    today = today or local_today()
    rng = random.Random(SEED)
    people, firm_specs = demo_people(rng), demo_firms(rng)
    specs = demo_records(rng, people, firm_specs, today)
    summary = SeedSummary()
    _ensure_merchant(session, actor, summary)
    _ensure_staff(session, actor, summary)
    persons = _ensure_people(session, actor, people, summary)
    firms = _ensure_firms(session, actor, firm_specs, persons, summary)
    _ensure_records(session, actor, specs, today, summary)
    _ensure_lists(session, actor, firms, persons, today, summary)
    _ensure_commitments(session, actor, firms, persons, summary)
    _ensure_catalogue(session, actor, summary)
    _ensure_account(session, actor, people[0], summary)
    ensure_perks(session, actor, summary.count)
    summary.expired_records = expire_due_records(session, today)
    expire_list_entries(session, today)
    for subject in (*persons, *firms):  # grades and scores on the cards and in the staff lists
        evaluate_subject(session, subject.id, today, cause="demo", actor=actor)
    summary.demo_person = f"{mask_name(people[0]['name'])} {mask_id_number(people[0]['id_number'])}"
    return summary


