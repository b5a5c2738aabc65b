"""What anyone may see of commitments: the verification of a letter, and the public list.

Published types only (主动公示型, 行业自律型, 信用修复型; seed 二(一)). Persons are shown masked and
without any identity number; a letter's verification never shows the signer's ID number.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.commitments.letters import content_hash
from backend.commitments.models import (
    COMMITMENT_STATUS_LABELS,
    COMMITMENT_TYPE_LABELS,
    PUBLIC_TYPES,
    Commitment,
    CommitmentLetter,
    CommitmentStatus,
    CommitmentType,
)
from backend.common.crypto import mask_name
from backend.common.ids import normalize_code, parse_uscc
from backend.common.paging import Page, paginate
from backend.common.text import field_error
from backend.platform.errors import NotFound
from backend.staff.models import Department
from backend.staff.services import department_by_code
from backend.subjects.models import Firm, Person


def public_subject(session: Session, subject_id: int) -> dict:
    """A firm by name and code; a person by masked name only."""
    return public_subjects(session, [subject_id])[subject_id]


def public_subjects(session: Session, subject_ids) -> dict[int, dict]:
    """:func:`public_subject` of many subjects in two queries (a page of the public list)."""
    ids = set(subject_ids)
    out: dict[int, dict] = {sid: {"kind": "person", "name": None, "code": None} for sid in ids}
    if not ids:
        return out
    for firm in session.execute(select(Firm).where(Firm.id.in_(ids))).scalars():
        out[firm.id] = {"kind": "firm", "name": firm.name, "code": firm.uscc}
    persons = ids - {sid for sid, v in out.items() if v["kind"] == "firm"}
    if persons:
        for person in session.execute(select(Person).where(Person.id.in_(persons))).scalars():
            out[person.id] = {"kind": "person", "name": mask_name(person.name), "code": None}
    return out


def verify_letter(session: Session, code: str) -> dict:
    """Is the letter behind ``code`` genuine (its stored text still hashes to the signed hash, and is
    the text registered as the commitment)? Its public facts and status; 404 ``letter_unknown``."""
    row = session.execute(select(CommitmentLetter, Commitment)
                          .join(Commitment, Commitment.id == CommitmentLetter.commitment_id)
                          .where(CommitmentLetter.verify_code == (code or "").strip())).first()
    if row is None:
        raise NotFound("letter_unknown", "没有找到这份承诺书：核验码有误，或承诺书不是本平台签发的。")
    letter, c = row
    intact = content_hash(letter.text) == letter.content_hash and letter.text == c.content
    dept = session.get(Department, c.department_id)
    status = CommitmentStatus(c.status)
    return {
        "genuine": intact, "verdict": "genuine" if intact else "altered",
        "verdict_label": "真实有效：内容与签署时一致" if intact else "内容已被改动，与签署时不一致，请勿采信",
        "matter": c.matter, "type": CommitmentType(c.type).value, "type_label": COMMITMENT_TYPE_LABELS[c.type],
        "department": dept.name if dept else None, "subject": public_subject(session, c.subject_id),
        "signed_on": c.signed_on, "valid_until": c.valid_until, "status": status.value,
        "status_label": COMMITMENT_STATUS_LABELS[status], "content_hash": letter.content_hash,
        "template_version": letter.template_version, "approval_no": letter.approval_no,
    }


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_public(session: Session, *, q: str | None = None, commitment_type: str | None = None,
                  department_code: str | None = None, signed_from: date | None = None,
                  signed_to: date | None = None, page: int = 1, per_page: int = 20) -> Page:
    """Published commitments not withdrawn, newest first. ``q``: a firm's name (part of it) or its
    USCC typed any way (lower case, spaces, full-width); a malformed code gets the validator's reason."""
    stmt = select(Commitment).where(Commitment.type.in_(PUBLIC_TYPES), Commitment.status != CommitmentStatus.WITHDRAWN)
    if commitment_type:
        ctype = CommitmentType(commitment_type)
        if ctype not in PUBLIC_TYPES:
            raise field_error("type", "type_not_public", "只公示主动公示型、行业自律型和信用修复型承诺。")
        stmt = stmt.where(Commitment.type == ctype)
    if department_code:
        stmt = stmt.where(Commitment.department_id == department_by_code(session, department_code).id)
    if q and q.strip():
        code = normalize_code(q)
        if len(code) == 18 and code.isalnum() and any(ch.isdigit() for ch in code[:2]):
            uscc = parse_uscc(code, "q").code
            stmt = stmt.join(Firm, Firm.id == Commitment.subject_id).where(Firm.uscc == uscc)
        else:
            stmt = stmt.join(Firm, Firm.id == Commitment.subject_id).where(
                Firm.name.like(_like(" ".join(q.split())), escape="\\"))
    if signed_from:
        stmt = stmt.where(Commitment.signed_on >= signed_from)
    if signed_to:
        stmt = stmt.where(Commitment.signed_on <= signed_to)
    return paginate(session, stmt, Commitment.signed_on.desc(), Commitment.id.desc(), page=page, per_page=per_page)


def present_public(session: Session, items: list[Commitment]) -> list[dict]:
    """Rows of the public list: persons masked, no identity numbers."""
    depts = dict(session.execute(select(Department.id, Department.name)
                                 .where(Department.id.in_({c.department_id for c in items}))).all()) if items else {}
    subjects = public_subjects(session, [c.subject_id for c in items])
    return [
        {"id": c.id, "type": CommitmentType(c.type).value, "type_label": COMMITMENT_TYPE_LABELS[c.type],
         "matter": c.matter, "subject": subjects[c.subject_id], "department": depts.get(c.department_id),
         "signed_on": c.signed_on, "valid_until": c.valid_until, "status": CommitmentStatus(c.status).value,
         "status_label": COMMITMENT_STATUS_LABELS[CommitmentStatus(c.status)]}
        for c in items
    ]
