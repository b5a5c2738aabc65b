"""信易批: an application for an administrative approval received by 区行政审批局 (or another
department providing a 信易批 perk) is marked for 容缺受理 / fast track when the firm is eligible.

The bureau records the application it received (``POST /staff/v1/approvals``): the application is
made at the bureau's window or in its own approval system, not in this platform, so the bureau is the
one who knows it exists. At that moment compare and intercept runs (``purpose=approval_mark``, logged:
a listed firm is never marked, and the log shows why) and then the eligibility of the department's
信易批 perk (:func:`backend.perks.eligibility.assess`, the same evaluation as the card). The row keeps
the marker, the basis (why marked, or why not) and the firm's grade and score at that time.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.clock import china_today
from backend.common.paging import Page, paginate
from backend.common.text import clean_text, field_error
from backend.intercept.services import check_subjects
from backend.loans.models import ApprovalApplication
from backend.perks.eligibility import assess
from backend.perks.models import Perk, PerkCategory
from backend.records.queries import describe_departments
from backend.staff.models import Role
from backend.staff.services import acting_department, department_scoped, require_role
from backend.subjects.models import Firm
from backend.subjects.services import get_firm

WRITE_ROLES = (Role.CREDIT_ADMIN, Role.DEPT_REVIEWER)
READ_ROLES = (Role.CREDIT_ADMIN, Role.DEPT_REVIEWER, Role.AUDITOR)
# Where the marker comes from (淮政办发〔2020〕80号).
POLICY_BASIS = ("淮政办发〔2020〕80号 五(三)“拓展‘信易+’场景应用，探索开展信易批”及三(三)“对信用状况好、等级较高、"
                "风险低的市场主体……”")


def _approval_perk(session: Session, department_id: int, perk_code: str | None) -> Perk:
    stmt = select(Perk).where(Perk.provider_id == department_id, Perk.category == PerkCategory.APPROVAL)
    if perk_code:
        stmt = stmt.where(Perk.code == perk_code)
    perk = session.execute(stmt.order_by(Perk.active.desc(), Perk.code).limit(1)).scalar()
    if perk is None:
        raise field_error("perk_code", "no_approval_perk", "本单位没有信易批（容缺受理）权益，请先由信用办在权益目录中登记。")
    return perk


def record_approval(session: Session, actor: Actor, *, firm_uscc: str, matter: str, reference_no: str | None = None,
                    department_code: str | None = None, perk_code: str | None = None,
                    received_on: date | None = None) -> ApprovalApplication:
    """Record an approval application received for a firm and mark it 容缺受理 when the firm is eligible.

    A firm on the 严重失信 list (or banned in the perk's domain) is not marked; the refusal and its
    basis are the row's ``basis`` and the attempt is in the interception log. Not eligible for another
    reason (grade too low …): not marked, the reason kept. Refused input: ``matter_required``,
    ``firm_not_found`` / the code validator's reason, ``no_approval_perk``, ``department_scope``."""
    require_role(actor, WRITE_ROLES, "只有审批部门的工作人员可以登记审批申请。")
    dept = acting_department(session, actor, department_code, "受理部门")
    matter = clean_text(matter, "matter", "申请事项", True, 200)
    reference_no = clean_text(reference_no, "reference_no", "受理编号", False, 60)
    firm = get_firm(session, firm_uscc)
    perk = _approval_perk(session, dept.id, perk_code)
    today = china_today()
    received_on = received_on or today
    if received_on > today:
        raise field_error("received_on", "received_on_future", "受理日期不能晚于今天。")
    check = check_subjects(session, actor, [firm.uscc], perk.domain, purpose="approval_mark", perk_id=perk.id)
    verdict = assess(session, perk, firm.id, "firm", today=today)
    if check.hits:
        basis = "不适用容缺受理：" + check.hits[0].plain()
    elif not verdict.eligible:
        basis = "不适用容缺受理：" + verdict.first.message
    else:
        basis = (f"适用{perk.name}：该企业公共信用综合评价{verdict.grade}级（{verdict.grade_label}，{verdict.score}分），"
                 f"符合准入条件，未在严重失信主体名单。{perk.benefit}依据：{POLICY_BASIS}。")
    row = ApprovalApplication(
        department_id=dept.id, firm_id=firm.id, perk_id=perk.id, matter=matter, reference_no=reference_no,
        received_on=received_on, fast_track=not check.hits and verdict.eligible, basis=basis, grade=verdict.grade,
        grade_label=verdict.grade_label, score=verdict.score, intercept_check_id=check.check_id,
        recorded_by=actor.ref,
    )
    session.add(row)
    session.flush()
    audit(session, actor, "approval.record", "approval_application", row.id, firm_id=firm.id, perk_id=perk.id,
          fast_track=row.fast_track, check_id=check.check_id)
    return row


def list_approvals(session: Session, actor: Actor, *, fast_track: bool | None = None,
                   department_code: str | None = None, page: int = 1, per_page: int = 20) -> Page[ApprovalApplication]:
    """The bureau's list (own department; the credit office and auditors all), newest first."""
    require_role(actor, READ_ROLES, "您的岗位不能查看审批申请。")
    stmt = department_scoped(session, actor, select(ApprovalApplication), ApprovalApplication.department_id,
                             department_code)
    if fast_track is not None:
        stmt = stmt.where(ApprovalApplication.fast_track.is_(fast_track))
    return paginate(session, stmt, ApprovalApplication.received_on.desc(), ApprovalApplication.id.desc(), page=page,
                    per_page=per_page)


def present_approvals(session: Session, rows: list[ApprovalApplication]) -> list[dict[str, Any]]:
    firms = {f.id: f for f in session.execute(select(Firm).where(Firm.id.in_({r.firm_id for r in rows}))).scalars()}
    depts = describe_departments(session, (r.department_id for r in rows))
    return [
        {"id": r.id, "department": depts.get(r.department_id), "matter": r.matter, "reference_no": r.reference_no,
         "received_on": r.received_on, "firm": {"uscc": firms[r.firm_id].uscc, "name": firms[r.firm_id].name},
         "fast_track": r.fast_track, "marker": "容缺受理" if r.fast_track else None, "basis": r.basis,
         "grade": r.grade, "grade_label": r.grade_label, "score": r.score, "intercept_check_id": r.intercept_check_id,
         "created_at": r.created_at}
        for r in rows
    ]
