"""Signing a catalogue commitment in the mini-program (在线签署信用承诺), for myself or a firm I act for.

The signed letter keeps the exact rendered text, the template version, the signer (account and
identity level at the time), the time and the SHA-256 of the text. The commitment itself is
registered for the item's department at once through :func:`register_commitment` — the card, the
grade and the staff lists see it exactly as one a department typed in.

诚信教育 (seed 二(二)): a subject's first signing needs the current integrity notice acknowledged
(``notice_version`` in the request); the acknowledgement (who, which version, when) is kept.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend.commitments.catalogue import current_template, get_item
from backend.commitments.letters import chinese_date, content_hash, new_verify_code, render_letter
from backend.commitments.models import (
    Commitment,
    CommitmentItem,
    CommitmentLetter,
    CommitmentStatus,
    CommitmentType,
    IntegrityAcknowledgement,
    IntegrityNotice,
    SubjectKindCode,
)
from backend.commitments.services import register_commitment
from backend.common.actor import SYSTEM, Actor
from backend.common.audit import audit
from backend.common.clock import china_today
from backend.common.text import clean_text, field_error
from backend.lists.models import ListEntry, ListEntryStatus, ListType
from backend.platform.errors import Conflict, Forbidden, NotFound
from backend.records.rules import add_months
from backend.staff.models import Department, Role
from backend.subjects.agency import can_act_for_firm, firms_for_person
from backend.subjects.models import Account, Firm, Person, Subject
from backend.subjects.services import get_firm, require_identity

APPROVAL_TYPES = frozenset({CommitmentType.APPROVAL, CommitmentType.CERTIFICATION})
REFUSING_LISTS = (ListType.SERIOUS, ListType.BAN)
# Used until the credit office writes its own (version 0 is never stored as a row).
DEFAULT_NOTICE = (
    "诚信提示",
    "诚实守信是中华民族的传统美德，也是市场经济的基本准则。您签署的信用承诺将记入信用档案，"
    "主动公示型、行业自律型和信用修复型承诺将在“信用淮安区”网站公示。请如实承诺、自觉履约；"
    "违背承诺的，将记入违背信用承诺信息，列为重点监管对象，并依法依规承担相应责任。",
)


def current_notice(session: Session) -> tuple[int, str, str]:
    """(version, title, body) of the integrity notice in force."""
    row = session.execute(select(IntegrityNotice).order_by(IntegrityNotice.version.desc()).limit(1)).scalar()
    return (row.version, row.title, row.body) if row else (0, *DEFAULT_NOTICE)


NOTICE_ROLES = (Role.CREDIT_ADMIN,)  # who publish the integrity notice (the API and the console)


def publish_notice(session: Session, actor: Actor, *, title: str, body: str) -> IntegrityNotice:
    """Staff write a new version of the integrity notice (信用办 only); earlier versions are kept."""
    from backend.staff.services import require_role

    require_role(actor, NOTICE_ROLES, "只有信用办管理员可以修改诚信提示。")
    title = clean_text(title, "title", "标题", True, 100)
    body = clean_text(body, "body", "诚信提示内容", True, 3000)
    version = (session.execute(select(func.max(IntegrityNotice.version))).scalar() or 0) + 1
    notice = IntegrityNotice(version=version, title=title, body=body,
                             created_by_id=actor.id if actor.is_staff else None)
    session.add(notice)
    session.flush()
    audit(session, actor, "integrity_notice.publish", "integrity_notice", notice.id, version=version)
    return notice


def notice_needed(session: Session, subject_id: int) -> bool:
    """A subject that never acknowledged a notice must read the current one before signing."""
    return session.execute(select(IntegrityAcknowledgement.id)
                           .where(IntegrityAcknowledgement.subject_id == subject_id).limit(1)).first() is None


# --- who signs ------------------------------------------------------------------------------


def signing_subject(session: Session, actor: Actor, uscc: str | None):
    """The subject signing: my person (``uscc`` empty), or a firm I represent or act for
    (403 ``not_firm_agent`` otherwise: the same rule as the firm card)."""
    person_id = require_identity(actor, "请先完成实名认证，再签署信用承诺。")
    if not uscc:
        return session.get(Person, person_id)
    firm = get_firm(session, uscc)
    if not actor.is_account or not can_act_for_firm(session, actor, firm.id):
        raise Forbidden("not_firm_agent", "只有该企业的法定代表人或经审核授权的经办人可以代企业签署信用承诺。")
    return firm


def subject_kind(subject) -> SubjectKindCode:
    if isinstance(subject, Person):
        return SubjectKindCode.PERSON
    return SubjectKindCode.SOLE_TRADER if subject.entity_type == "92" else SubjectKindCode.FIRM


def _listed(session: Session, subject_id: int) -> bool:
    return session.execute(select(ListEntry.id).where(
        ListEntry.subject_id == subject_id, ListEntry.status == ListEntryStatus.ACTIVE,
        ListEntry.list_type.in_(REFUSING_LISTS)).limit(1)).first() is not None


def items_for(session: Session, actor: Actor, uscc: str | None = None) -> tuple[object, list[CommitmentItem], bool]:
    """Active catalogue items that apply to the signing subject's kind; and whether the subject is on
    the 严重失信 list or banned (the view marks the items that refuse it)."""
    subject = signing_subject(session, actor, uscc)
    kind = subject_kind(subject).value
    items = [i for i in session.execute(select(CommitmentItem).where(CommitmentItem.active.is_(True))
                                        .order_by(CommitmentItem.department_id, CommitmentItem.code)).scalars()
             if kind in i.subject_kinds]
    return subject, items, _listed(session, subject.id)


def _check_item(session: Session, item: CommitmentItem, subject) -> None:
    if not item.active:
        raise NotFound("commitment_item_not_found", "没有找到这个信用承诺事项。")
    if subject_kind(subject).value not in item.subject_kinds:
        raise field_error("item_id", "commitment_item_not_applicable", "该承诺事项不适用于此类主体。")
    if item.refuse_listed and _listed(session, subject.id):
        raise Conflict("commitment_subject_listed",
                       "该主体被列入严重失信主体名单或处于禁入期，不能通过信用承诺办理此事项。")


def _letter_data(session: Session, item: CommitmentItem, subject, approval_no: str | None) -> dict:
    today = china_today()
    dept = session.get(Department, item.department_id)
    until = add_months(today, item.term_months) - timedelta(days=1) if item.term_months else None
    is_firm = isinstance(subject, Firm)
    rep = subject.legal_rep.name if is_firm and subject.legal_rep else None
    return {
        "subject_name": subject.name, "subject_code": subject.uscc if is_firm else subject.id_number,
        "legal_rep": rep, "matter": item.name, "department": dept.name, "signed_on": chinese_date(today),
        "valid_until": chinese_date(until) if until else "长期", "approval_matter": item.name,
        "approval_no": approval_no, "_until": until, "_dept_code": dept.code,
    }


def _approval_no(item: CommitmentItem, value: str | None) -> str | None:
    value = clean_text(value, "approval_no", "审批文号", False, 100)
    if item.type in APPROVAL_TYPES and not value:
        raise field_error("approval_no", "approval_no_required",
                          "审批替代型和告知承诺须写明所替代审批的文号（审批或受理编号）。")
    return value


def preview_letter(session: Session, actor: Actor, item_id: int, *, uscc: str | None = None,
                   approval_no: str | None = None) -> dict:
    """The letter as it would be signed now, with the notice to acknowledge first if any."""
    subject = signing_subject(session, actor, uscc)
    item = get_item(session, item_id)
    _check_item(session, item, subject)
    data = _letter_data(session, item, subject, _approval_no(item, approval_no))
    text = render_letter(current_template(session, item).body, data)
    version, title, body = current_notice(session)
    return {"item_id": item.id, "template_version": item.template_version, "text": text,
            "valid_until": data["_until"],
            "notice": {"version": version, "title": title, "body": body} if notice_needed(session, subject.id)
            else None}


def sign_commitment(session: Session, actor: Actor, item_id: int, *, uscc: str | None = None,
                    approval_no: str | None = None, notice_version: int | None = None,
                    template_version: int | None = None) -> Commitment:
    """Sign item ``item_id`` for myself or a firm I act for; registered at once (履约中).

    ``template_version``, when given, must be the one previewed (409 ``template_changed``), so nobody
    signs a text they did not see."""
    subject = signing_subject(session, actor, uscc)
    # Serialise signings for one subject: a second one at the same moment waits here, then finds the
    # first (commitment_already_signed) instead of registering a twin or tripping the notice index.
    session.execute(select(Subject.id).where(Subject.id == subject.id).with_for_update())
    item = get_item(session, item_id)
    _check_item(session, item, subject)
    if template_version is not None and template_version != item.template_version:
        raise Conflict("template_changed", "承诺书样式刚刚更新，请重新预览后再签署。")
    approval_no = _approval_no(item, approval_no)
    if session.execute(select(Commitment.id).join(CommitmentLetter, CommitmentLetter.commitment_id == Commitment.id)
                       .where(Commitment.subject_id == subject.id, CommitmentLetter.item_id == item.id,
                              Commitment.status == CommitmentStatus.ACTIVE).limit(1)).first():
        raise Conflict("commitment_already_signed", "该主体已签署此承诺事项且仍在履约中，无需重复签署。")
    if notice_needed(session, subject.id):
        version = current_notice(session)[0]
        if notice_version != version:
            raise Conflict("integrity_notice_required", "首次签署信用承诺前，请先阅读并确认诚信提示。")
        session.add(IntegrityAcknowledgement(subject_id=subject.id, account_id=actor.id, notice_version=version))
        audit(session, actor, "integrity_notice.acknowledge", "subject", subject.id, version=version)
    data = _letter_data(session, item, subject, approval_no)
    text = render_letter(current_template(session, item).body, data)
    code = new_verify_code()
    today = china_today()
    commitment = register_commitment(
        session, SYSTEM, subject_code=data["subject_code"], commitment_type=item.type, matter=item.name,
        content=text, signed_on=today, valid_until=data["_until"], department_code=data["_dept_code"],
        document_no=f"小程序签署〔{today.year}〕{item.code}-{code[:8]}",
    )
    account = session.get(Account, actor.id)
    session.add(CommitmentLetter(
        commitment_id=commitment.id, item_id=item.id, template_version=item.template_version, text=text,
        content_hash=content_hash(text), signer_account_id=actor.id,
        signer_identity_level=str(account.identity_level), verify_code=code,
        approval_matter=item.name if item.type in APPROVAL_TYPES else None, approval_no=approval_no,
    ))
    session.flush()
    audit(session, actor, "commitment.sign", "commitment", commitment.id, item_id=item.id,
          template_version=item.template_version, subject_id=subject.id)
    return commitment


# --- my commitments -----------------------------------------------------------------------------


def _my_subject_ids(session: Session, actor: Actor) -> list[int]:
    person_id = require_identity(actor, "请先完成实名认证。")
    firms = [f["uscc"] for f in firms_for_person(session, person_id)]
    ids = [person_id]
    if firms:
        ids += list(session.execute(select(Firm.id).where(Firm.uscc.in_(firms))).scalars())
    return ids


def my_commitments(session: Session, actor: Actor) -> list[tuple[Commitment, CommitmentLetter | None]]:
    """Commitments of me and of the firms I act for (newest first), with the letter if signed online."""
    ids = _my_subject_ids(session, actor)
    rows = session.execute(
        select(Commitment, CommitmentLetter)
        .outerjoin(CommitmentLetter, CommitmentLetter.commitment_id == Commitment.id)
        .where(or_(Commitment.subject_id.in_(ids)))
        .order_by(Commitment.signed_on.desc(), Commitment.id.desc())
    ).all()
    return [(c, letter) for c, letter in rows]


def my_letter(session: Session, actor: Actor, commitment_id: int) -> tuple[Commitment, CommitmentLetter]:
    """A commitment letter signed online, for its subject (me or a firm I act for); 404 otherwise."""
    ids = _my_subject_ids(session, actor)
    row = session.execute(select(Commitment, CommitmentLetter)
                          .join(CommitmentLetter, CommitmentLetter.commitment_id == Commitment.id)
                          .where(Commitment.id == commitment_id)).first()
    if row is None or row[0].subject_id not in ids:
        raise NotFound("commitment_not_found", "没有找到这份承诺书。")
    return row[0], row[1]
