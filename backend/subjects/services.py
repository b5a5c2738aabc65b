"""Credit subject services: register and find firms and persons.

Persons are found by the blind index of their ID number, never by plaintext. Codes are normalised
and validated here, so every caller (API, batch import, bot) gets the same refusals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.crypto import blind_index
from backend.common.ids import USCC, ResidentID, normalize_code, parse_resident_id, parse_subject_code, parse_uscc
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.subjects.models import Firm, Person, Subject, SubjectKind

ID_PURPOSE = "person.id_number"
PHONE_PURPOSE = "person.phone"


def id_number_index(number: str) -> str:
    return blind_index(ID_PURPOSE, number)


def phone_index(phone: str) -> str:
    return blind_index(PHONE_PURPOSE, phone)


def find_person(session: Session, id_number: str) -> Person | None:
    rid = parse_resident_id(id_number)
    return session.execute(select(Person).where(Person.id_number_bidx == id_number_index(rid.number))).scalar()


def find_firm(session: Session, uscc: str) -> Firm | None:
    code = parse_uscc(uscc)
    return session.execute(select(Firm).where(Firm.uscc == code.code)).scalar()


def get_firm(session: Session, uscc: str) -> Firm:
    """The firm with this code; 422 with the reason for an invalid code, 404 for an unknown one."""
    firm = find_firm(session, uscc)
    if firm is None:
        raise NotFound("firm_not_found", "没有找到该统一社会信用代码对应的主体，请核对代码。")
    return firm


def register_person(
    session: Session,
    actor: Actor,
    *,
    id_number: str,
    name: str,
    phone: str | None = None,
) -> Person:
    """Create a person (信用主体·自然人), or return the existing one with the same ID number."""
    rid = parse_resident_id(id_number)
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise ValidationFailed("name_invalid", "请填写与身份证一致的姓名。", errors={"name": ["请填写姓名。"]})
    existing = session.execute(select(Person).where(Person.id_number_bidx == id_number_index(rid.number))).scalar()
    if existing is not None:
        return existing
    subject = Subject(kind=SubjectKind.PERSON)
    session.add(subject)
    session.flush()
    person = Person(
        id=subject.id,
        id_number=rid.number,
        id_number_bidx=id_number_index(rid.number),
        name=name,
        phone=phone,
        phone_bidx=phone_index(phone) if phone else None,
        gender=rid.gender,
        birth_year=rid.birth_date.year,
        region_code=rid.region,
    )
    session.add(person)
    session.flush()
    audit(session, actor, "person.register", "person", person.id)
    return person


def register_firm(
    session: Session,
    actor: Actor,
    *,
    uscc: str,
    name: str,
    legal_rep: Person | None = None,
    established_on: date | None = None,
    address: str | None = None,
    industry: str | None = None,
    registered_capital: str | None = None,
    business_scope: str | None = None,
) -> Firm:
    """Create a firm (信用主体·法人和其他组织). A second registration of the same code is a conflict."""
    code = parse_uscc(uscc)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed("firm_name_invalid", "请填写主体名称。", errors={"name": ["请填写主体名称。"]})
    if session.execute(select(Firm.id).where(Firm.uscc == code.code)).first():
        raise Conflict("firm_exists", "该统一社会信用代码已登记。")
    subject = Subject(kind=SubjectKind.FIRM)
    session.add(subject)
    session.flush()
    firm = Firm(
        id=subject.id,
        uscc=code.code,
        name=name,
        entity_type=code.entity_type,
        region_code=code.region,
        legal_rep_id=legal_rep.id if legal_rep else None,
        established_on=established_on,
        address=address,
        industry=industry,
        registered_capital=registered_capital,
        business_scope=business_scope,
    )
    session.add(firm)
    session.flush()
    audit(session, actor, "firm.register", "firm", firm.id, uscc=code.code)
    return firm


def find_subject_ids(session: Session, codes: Iterable[str]) -> dict[str, int]:
    """Map each valid, known subject code (USCC or resident ID, normalised) to its subject id.

    Invalid or unknown codes are simply absent: callers (the batch import) report them per row.
    Looks up in chunks, so 10,000 codes cost a handful of queries.
    """
    firms: dict[str, str] = {}
    persons: dict[str, str] = {}  # blind index → normalised code
    for raw in codes:
        norm = normalize_code(raw)
        try:
            parsed = parse_subject_code(norm)
        except ValidationFailed:
            continue
        if isinstance(parsed, USCC):
            firms[parsed.code] = parsed.code
        elif isinstance(parsed, ResidentID):
            persons[id_number_index(parsed.number)] = parsed.number
    found: dict[str, int] = {}
    firm_codes = list(firms)
    for i in range(0, len(firm_codes), 900):
        chunk = firm_codes[i : i + 900]
        for uscc, fid in session.execute(select(Firm.uscc, Firm.id).where(Firm.uscc.in_(chunk))):
            found[uscc] = fid
    idx = list(persons)
    for i in range(0, len(idx), 900):
        chunk = idx[i : i + 900]
        for bidx, pid in session.execute(select(Person.id_number_bidx, Person.id).where(Person.id_number_bidx.in_(chunk))):
            found[persons[bidx]] = pid
    return found
