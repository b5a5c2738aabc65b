"""Credit subject services: register and find firms and persons.

Persons are found by the blind index of their ID number, never by plaintext. Codes are normalised
and validated here, so every caller (API, batch import, bot) gets the same refusals. Personal data
never goes into an error message, an ``errors`` field, an audit detail or a log line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.crypto import blind_index
from backend.common.ids import USCC, ResidentID, normalize_code, parse_resident_id, parse_subject_code, parse_uscc
from backend.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.subjects.changes import subject_changed
from backend.subjects.models import Firm, Person, Subject, SubjectKind

ID_PURPOSE = "person.id_number"
PHONE_PURPOSE = "person.phone"

# The name column is encrypted into 255 characters: 120 bytes of UTF-8 (40 CJK characters, even
# rare ones of 4 bytes: 30) always fit. Real names, 少数民族 transliterations included, are shorter.
NAME_MAX_CHARS = 40
NAME_MAX_BYTES = 120
_NAME_DOTS = str.maketrans({"•": "·", "・": "·", "･": "·", "‧": "·", "∙": "·", "．": "·"})
# 手机 mainland mobile (11 digits, 1[3-9]…) or 固定电话 with its area code (0517…).
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{9,11}$")


def normalize_name(raw: object) -> str:
    """Full-width to half-width, no surrounding or doubled spaces, one kind of middle dot."""
    text = unicodedata.normalize("NFKC", str(raw or "")).translate(_NAME_DOTS)
    return " ".join(text.split())


def clean_name(raw: object) -> str:
    """A person's name as stored (:func:`normalize_name`), or 422 ``name_invalid``."""
    name = normalize_name(raw)
    if not name:
        raise ValidationFailed("name_invalid", "请填写与身份证一致的姓名。", errors={"name": ["请填写姓名。"]})
    if len(name) > NAME_MAX_CHARS or len(name.encode()) > NAME_MAX_BYTES or not name.isprintable():
        raise ValidationFailed("name_invalid", "姓名过长或含有无法识别的字符，请与身份证保持一致。",
                               errors={"name": ["姓名过长或含有无法识别的字符。"]})
    return name


def normalize_phone(raw: object) -> str | None:
    """A phone as stored: digits only, ``+86`` dropped; ``None`` for an empty value.

    Raises ``phone_invalid`` (without echoing the number) for anything that is not a mainland
    mobile number or a landline with its area code.
    """
    text = unicodedata.normalize("NFKC", str(raw or ""))
    digits = "".join(ch for ch in text if not ch.isspace() and ch not in "-()（）")
    if not digits:
        return None
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not (digits.isascii() and (_MOBILE.match(digits) or _LANDLINE.match(digits))):
        raise ValidationFailed("phone_invalid", "请填写正确的手机号码（11位）或带区号的固定电话。",
                               errors={"phone": ["手机号码格式不正确。"]})
    return digits


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
    """Create a person (信用主体·自然人), or return the existing one with the same ID number.

    The ID number is validated (422 with the validator's reason), the name and phone normalised.
    An existing person is returned only if the name matches; a different name is refused
    (``person_name_mismatch``, 409) so that knowing an ID number is not enough to claim it.
    """
    rid = parse_resident_id(id_number)
    name = clean_name(name)
    phone = normalize_phone(phone)
    existing = session.execute(select(Person).where(Person.id_number_bidx == id_number_index(rid.number))).scalar()
    if existing is not None:
        if existing.name != name:
            raise Conflict("person_name_mismatch", "姓名与该身份证号码已登记的姓名不一致，请核对后重试。")
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
    subject_changed(session, [person.id], "person.register")  # every subject has a score from day one
    return person


# Registration fields of a firm and their column lengths (a longer value would be a 500 on PostgreSQL).
_FIRM_TEXT_LIMITS = {"address": 300, "industry": 60, "registered_capital": 40, "reg_status": 20}
_FIRM_FIELD_LABELS = {"address": "住所", "industry": "行业", "registered_capital": "注册资本", "reg_status": "登记状态"}


def _firm_text(field: str, value: str | None) -> str | None:
    value = (value or "").strip() or None
    limit = _FIRM_TEXT_LIMITS[field]
    if value is not None and len(value) > limit:
        label = _FIRM_FIELD_LABELS[field]
        raise ValidationFailed(f"firm_{field}_too_long", f"{label}不能超过{limit}个字。",
                               errors={field: [f"{label}不能超过{limit}个字。"]})
    return value


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
    reg_status: str | None = None,
) -> Firm:
    """Create a firm (信用主体·法人和其他组织). A second registration of the same code is a conflict.

    The code is normalised (lower case, spaces, full-width) and validated; type and region come
    from the code. ``reg_status`` (登记状态) defaults to 存续.
    """
    code = parse_uscc(uscc)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed("firm_name_invalid", "请填写主体名称（不超过200个字）。",
                               errors={"name": ["请填写主体名称（不超过200个字）。"]})
    address = _firm_text("address", address)
    industry = _firm_text("industry", industry)
    registered_capital = _firm_text("registered_capital", registered_capital)
    reg_status = _firm_text("reg_status", reg_status) or "存续"
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
        business_scope=(business_scope or "").strip() or None,
        reg_status=reg_status,
    )
    session.add(firm)
    session.flush()
    audit(session, actor, "firm.register", "firm", firm.id, uscc=code.code,
          legal_rep_person_id=legal_rep.id if legal_rep else None)
    subject_changed(session, [firm.id], "firm.register")  # every subject has a grade from day one
    return firm


def link_legal_rep(
    session: Session, actor: Actor, firm: Firm, person: Person, *, title: str | None = None
) -> Firm:
    """Record ``person`` as the firm's 法定代表人 (or 负责人 / 经营者 via ``title``); audited.

    Linking the person already recorded (with the same title) changes nothing and writes nothing.
    """
    title = (title or "").strip() or firm.legal_rep_title or "法定代表人"
    if len(title) > 20:
        raise ValidationFailed("legal_rep_title_invalid", "职务名称不能超过20个字。",
                               errors={"title": ["职务名称不能超过20个字。"]})
    if firm.legal_rep_id == person.id and firm.legal_rep_title == title:
        return firm
    previous = firm.legal_rep_id
    firm.legal_rep_id = person.id
    firm.legal_rep = person
    firm.legal_rep_title = title
    session.flush()
    audit(session, actor, "firm.legal_rep_link", "firm", firm.id,
          person_id=person.id, previous_person_id=previous, title=title)
    subject_changed(session, [firm.id], "firm.legal_rep_link")
    return firm


def get_person(session: Session, person_id: int) -> Person:
    """The person with this id, or 404 ``person_not_found``."""
    try:
        pid = int(person_id)
    except (TypeError, ValueError):
        pid = None
    person = session.get(Person, pid) if pid is not None else None
    if person is None:
        raise NotFound("person_not_found", "没有找到该人员的信息。")
    return person


def set_person_phone(session: Session, actor: Actor, person: Person, phone: str | None) -> Person:
    """Replace (or clear, with ``None``) a person's phone; audited without the number."""
    phone = normalize_phone(phone)
    if person.phone == phone:
        return person
    person.phone = phone
    person.phone_bidx = phone_index(phone) if phone else None
    session.flush()
    audit(session, actor, "person.phone_set", "person", person.id, cleared=phone is None)
    return person


def view_person(session: Session, actor: Actor, person: Person, *, unmasked: bool = False) -> dict:
    """What ``actor`` may see of ``person``: masked, or in full to the person themself and staff.

    A staff member's (or the system's) unmasked view writes ``pii.view`` to the audit chain; the
    role check belongs to the view (``staff_required``). Anyone else asking unmasked is refused.
    """
    from backend.subjects.schemas import person_view

    if unmasked:
        own = actor.is_account and actor.person_id == person.id
        if not own:
            if not (actor.is_staff or actor.kind == "system"):
                raise Forbidden("pii_forbidden", "只有本人可以查看完整的个人信息。")
            audit(session, actor, "pii.view", "person", person.id)
    return person_view(person, unmasked=unmasked)


def require_identity(actor: Actor, message: str = "请先完成实名认证。") -> int:
    """The person a mini-program actor is bound to (实名); 403 ``identity_required`` if none."""
    if actor.person_id is None:
        raise Forbidden("identity_required", message)
    return actor.person_id


def find_subject_id(session: Session, raw: object, field: str = "subject_code") -> int | None:
    """The subject id behind one code a person typed (USCC or resident ID, any case, spaces,
    full-width); None if nobody has it. A malformed code is a 422 with the validator's reason
    (``uscc_check_digit``, ``id_check_digit`` …), so the person learns it was mistyped, not unknown."""
    parsed = parse_subject_code(raw, field)
    key = parsed.code if isinstance(parsed, USCC) else parsed.number
    return find_subject_ids(session, [key]).get(key)


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
