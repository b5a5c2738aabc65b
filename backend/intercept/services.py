"""Compare and intercept (自动比对、自动拦截, seed 四(一)、四(四)).

:func:`check_subjects` is the one check: departments' systems (``POST /staff/v1/intercept/check``),
every perk claim and every voucher redemption call it. A subject is *hit* by an entry in force today
on the 严重失信主体名单 (any domain) or by a 市场和行业禁入 ban in the asked domain. A malformed code is
reported per item (its position and the validator's reason), never a failure of the call; codes are
never echoed back (an ID number is personal data). Every call is logged with who asked
(:class:`InterceptCheck`, one row per hit in :class:`InterceptHit`), so the credit office can search it.

Speed: codes are validated in Python, persons found by the blind index, and subjects and their
entries in force read in one query per chunk (on PostgreSQL one query per kind: the codes as one
array, unnested and joined to the key's index); the log is one INSERT plus one for the hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Date, String

from backend.common.actor import Actor
from backend.common.clock import china_days, china_today
from backend.common.ids import USCC, parse_subject_code
from backend.common.paging import Page, paginate
from backend.intercept.models import InterceptCheck, InterceptHit
from backend.lists.models import LIST_TYPE_LABELS, ListEntry, ListEntryStatus, ListType
from backend.platform.errors import ValidationFailed
from backend.records.queries import describe_departments, describe_subjects
from backend.staff.models import Role
from backend.staff.services import department_scoped, require_role
from backend.subjects.models import Firm, Person
from backend.subjects.services import find_subject_id, id_number_index

MAX_SUBJECTS = 10_000
# who asked: a department's system, a perk claim, a voucher redemption, a 信易贷 application or
# decision (backend.loans), a 信易批 marking (backend.loans.approvals)
PURPOSES = ("check", "perk_claim", "voucher_redeem", "loan_apply", "loan_decide", "approval_mark")
CHECK_ROLES = (Role.CREDIT_ADMIN, Role.DEPT_REVIEWER, Role.BANK_PARTNER)
LOG_ROLES = (Role.CREDIT_ADMIN, Role.AUDITOR)
_CHUNK = 900  # bound parameters per IN (SQLite's classic limit is 999)


@dataclass
class Hit:
    index: int
    subject_id: int
    subject_kind: str
    entry_id: int
    list_type: str
    domain: str | None
    reason: str
    legal_basis: str | None
    decision_no: str | None
    department_id: int
    listed_on: date
    expires_on: date | None

    @property
    def list_label(self) -> str:
        return LIST_TYPE_LABELS[ListType(self.list_type)]

    def plain(self) -> str:
        """The refusal in plain words: which list, on what basis, until when."""
        until = f"至{self.expires_on:%Y年%m月%d日}" if self.expires_on else "（长期）"
        where = f"（{self.domain}领域）" if self.domain else ""
        basis = f"，依据{self.legal_basis}" if self.legal_basis else ""
        doc = f"，文书号{self.decision_no}" if self.decision_no else ""
        return f"该主体在{self.list_label}{where}中，{self.listed_on:%Y年%m月%d日}起{until}{basis}{doc}。"


@dataclass
class CheckResult:
    check_id: int
    domain: str | None
    total: int
    invalid: list[dict[str, Any]] = field(default_factory=list)  # [{index, reason, message}]
    unknown: list[int] = field(default_factory=list)  # positions of valid codes nobody has
    hits: list[Hit] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.hits)


def clean_domain(domain: str | None) -> str | None:
    """A domain as asked (trimmed); ``None`` when empty. Only 40 characters fit a ban's domain."""
    value = (domain or "").strip() or None
    if value is not None and len(value) > 40:
        raise ValidationFailed("domain_invalid", "领域名称不能超过40个字。", errors={"domain": ["领域名称不能超过40个字。"]})
    return value


def _in_force(today, domain):
    """Entries in force on ``today`` that hit in ``domain`` (values, or bind parameters of a statement
    built once: ``domain`` None means no ban counts)."""
    lists = ListEntry.list_type == ListType.SERIOUS
    if domain is not None:
        lists = or_(lists, and_(ListEntry.list_type == ListType.BAN, ListEntry.domain == domain))
    return and_(
        ListEntry.status == ListEntryStatus.ACTIVE, ListEntry.listed_on <= today,
        or_(ListEntry.expires_on.is_(None), ListEntry.expires_on >= today), lists,
    )


def _columns(key_col, id_col) -> tuple:
    return (key_col, id_col, ListEntry.id, ListEntry.list_type, ListEntry.domain, ListEntry.reason,
            ListEntry.legal_basis, ListEntry.decision_no, ListEntry.department_id, ListEntry.listed_on,
            ListEntry.expires_on)


def _unnest_lookup(key_col, id_col, with_domain: bool):
    """PostgreSQL: the codes as one array parameter, unnested and joined to the key's index, one probe
    per code, whatever their number. (``key = ANY(array)`` let the planner choose a parallel scan of
    all of persons for a few thousand codes: 0.6-1.5 s at 1 M persons, against 0.1-0.3 s of probes.)"""
    wanted = func.unnest(bindparam("keys", type_=ARRAY(String))).table_valued("key").render_derived(name="wanted")
    cond = _in_force(bindparam("today", type_=Date), bindparam("domain", type_=String) if with_domain else None)
    return (select(*_columns(key_col, id_col)).select_from(wanted).join(key_col.table, key_col == wanted.c.key)
            .outerjoin(ListEntry, and_(ListEntry.subject_id == id_col, cond)))


# Built once (building a statement cost more than running it for one code): kind → with a domain?
_PG_LOOKUPS = {(kind, with_domain): _unnest_lookup(key, sid, with_domain)
               for kind, key, sid in (("firm", Firm.uscc, Firm.id), ("person", Person.id_number_bidx, Person.id))
               for with_domain in (False, True)}
_KEY_COLUMNS = {"firm": (Firm.uscc, Firm.id), "person": (Person.id_number_bidx, Person.id)}
_LOG_INSERT = insert(InterceptCheck).returning(InterceptCheck.id)
_HIT_INSERT = insert(InterceptHit)


def _lookup(session: Session, kind: str, keys: list[str], today: date, domain: str | None):
    """(key, subject id, entry columns or Nones) for every known key, entries in force joined."""
    if session.get_bind().dialect.name == "postgresql":
        yield from session.connection().execute(_PG_LOOKUPS[kind, domain is not None],
                                                {"keys": keys, "today": today, "domain": domain})
        return
    key_col, id_col = _KEY_COLUMNS[kind]
    base = select(*_columns(key_col, id_col)).outerjoin(
        ListEntry, and_(ListEntry.subject_id == id_col, _in_force(today, domain)))
    for i in range(0, len(keys), _CHUNK):
        yield from session.connection().execute(base.where(key_col.in_(keys[i : i + _CHUNK])))


def check_subjects(
    session: Session,
    actor: Actor,
    codes: Sequence[object],
    domain: str | None,
    *,
    purpose: str = "check",
    perk_id: int | None = None,
    today: date | None = None,
) -> CheckResult:
    """Compare ``codes`` (USCCs or resident ID numbers) with the lists in force today and log the call.

    Returns every hit (list, basis, period, by the code's position), the positions of invalid codes
    with the validator's reason, and those of valid codes no subject has. More than 10,000 codes is
    422 ``too_many_subjects``. The caller decides what a hit means (a perk refuses, a department's
    system decides for itself); ``purpose`` says who asked in the log.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if purpose == "check":
        require_role(actor, CHECK_ROLES, "您的岗位不能调用比对拦截接口。")
    if len(codes) > MAX_SUBJECTS:
        raise ValidationFailed("too_many_subjects", f"一次最多比对{MAX_SUBJECTS}个主体，请分批提交。",
                               errors={"subjects": [f"一次最多{MAX_SUBJECTS}个。"]})
    domain = clean_domain(domain)
    today = today or china_today()
    result = CheckResult(check_id=0, domain=domain, total=len(codes))
    firms: dict[str, list[int]] = {}
    persons: dict[str, list[int]] = {}  # blind index → positions
    for index, raw in enumerate(codes):
        try:
            parsed = parse_subject_code(raw, "code")
        except ValidationFailed as exc:
            result.invalid.append({"index": index, "reason": exc.reason, "message": exc.message})
            continue
        if isinstance(parsed, USCC):
            firms.setdefault(parsed.code, []).append(index)
        else:
            persons.setdefault(id_number_index(parsed.number), []).append(index)
    session.flush()  # the lookups are Core statements on the session's connection: pending entries first
    seen: set[str] = set()
    for kind, wanted in (("firm", firms), ("person", persons)):
        if not wanted:
            continue
        for key, sid, eid, ltype, dom, reason, basis, doc, dept, listed, expires in _lookup(
                session, kind, list(wanted), today, domain):
            seen.add(key)
            if eid is None:
                continue
            for index in wanted[key]:
                result.hits.append(Hit(index, sid, kind, eid, getattr(ltype, "value", ltype), dom, reason, basis,
                                       doc, dept, listed, expires))
        result.unknown.extend(i for key, positions in wanted.items() if key not in seen for i in positions)
    result.unknown.sort()
    result.hits.sort(key=lambda h: (h.index, h.entry_id))
    result.check_id = _log(session, actor, result, purpose, perk_id)
    return result


def subject_hits(session: Session, subject_id: int, kind: str, domain: str | None,
                 today: date | None = None) -> list[Hit]:
    """What :func:`check_subjects` would find for one known subject, without logging a check: for
    showing eligibility (a read). A claim or a redemption calls :func:`check_subjects` itself."""
    cond = _in_force(today or china_today(), clean_domain(domain))
    rows = session.execute(select(ListEntry).where(ListEntry.subject_id == subject_id, cond).order_by(ListEntry.id))
    return [Hit(0, subject_id, kind, e.id, e.list_type.value, e.domain, e.reason, e.legal_basis, e.decision_no,
                e.department_id, e.listed_on, e.expires_on) for e in rows.scalars()]


def _log(session: Session, actor: Actor, result: CheckResult, purpose: str, perk_id: int | None) -> int:
    conn = session.connection()
    check_id: int = conn.execute(_LOG_INSERT, {
        "at": datetime.now().astimezone(), "actor": actor.ref,
        "department_id": actor.department_id if actor.is_staff else None, "purpose": purpose, "domain": result.domain,
        "perk_id": perk_id, "subjects": result.total, "invalid": len(result.invalid), "hits": len(result.hits),
        "blocked": purpose != "check" and result.blocked,
    }).scalar_one()
    if result.hits:
        conn.execute(_HIT_INSERT, [
            {"check_id": check_id, "subject_id": h.subject_id, "list_entry_id": h.entry_id, "list_type": h.list_type}
            for h in result.hits
        ])
    return check_id


def search_log(
    session: Session,
    actor: Actor,
    *,
    subject_code: str | None = None,
    purpose: str | None = None,
    blocked: bool | None = None,
    department_code: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[InterceptCheck]:
    """The interception log, newest first (信用办 and 审计员): by subject (checks that hit it), purpose,
    blocked attempts only, asking department, days (China time)."""
    require_role(actor, LOG_ROLES, "只有信用办和审计员可以查询拦截日志。")
    stmt = department_scoped(session, actor, select(InterceptCheck), InterceptCheck.department_id, department_code)
    if subject_code:
        sid = find_subject_id(session, subject_code) or -1
        stmt = stmt.where(InterceptCheck.id.in_(select(InterceptHit.check_id).where(InterceptHit.subject_id == sid)))
    if purpose:
        stmt = stmt.where(InterceptCheck.purpose == purpose)
    if blocked is not None:
        stmt = stmt.where(InterceptCheck.blocked.is_(blocked))
    stmt = stmt.where(*china_days(InterceptCheck.at, since, until))
    return paginate(session, stmt, InterceptCheck.at.desc(), InterceptCheck.id.desc(), page=page, per_page=per_page)


def present_log(session: Session, checks: Sequence[InterceptCheck]) -> list[dict[str, Any]]:
    """A page of the log with each check's hits (subjects described, persons masked) and department."""
    hits: dict[int, list[InterceptHit]] = {c.id: [] for c in checks}
    if checks:
        for hit in session.execute(select(InterceptHit).where(InterceptHit.check_id.in_(list(hits)))
                                   .order_by(InterceptHit.id)).scalars():
            hits[hit.check_id].append(hit)
    subjects = describe_subjects(session, (h.subject_id for hs in hits.values() for h in hs))
    depts = describe_departments(session, (c.department_id for c in checks if c.department_id))
    return [
        {"id": c.id, "at": c.at, "actor": c.actor, "department": depts.get(c.department_id) if c.department_id else None,
         "purpose": c.purpose, "domain": c.domain, "perk_id": c.perk_id, "subjects": c.subjects,
         "invalid": c.invalid, "blocked": c.blocked,
         "hits": [{"subject": subjects.get(h.subject_id, {}), "list_type": h.list_type,
                   "list_entry_id": h.list_entry_id} for h in hits[c.id]]}
        for c in checks
    ]


def present_hits(session: Session, hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """Hits as the API shows them: list, basis, period, deciding department; no personal data."""
    depts = describe_departments(session, (h.department_id for h in hits))
    return [
        {"index": h.index, "subject_kind": h.subject_kind, "list_type": h.list_type, "list_label": h.list_label,
         "domain": h.domain, "reason": h.reason, "legal_basis": h.legal_basis, "decision_no": h.decision_no,
         "department": depts.get(h.department_id, {}).get("short_name"), "listed_on": h.listed_on,
         "expires_on": h.expires_on, "message": h.plain()}
        for h in hits
    ]
