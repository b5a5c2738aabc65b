"""Queue adapters: what the generic queue and detail pages need from one kind of staff work.

The pages (``queue_views.py`` and ``templates/console/queue*.html``) know only :class:`QueueAdapter`.
Today one kind exists, firm-agency authorisations (企业授权经办, :class:`AgencyQueue`, over
``backend.subjects.agency``). The review-queue engine (``backend/queues``) plugs in with ONE more
adapter here — an ``EngineQueue(kind)`` whose methods call ``backend.queues.services``
(``list_items`` / ``get_item`` + ``timeline`` / ``claim`` / ``decide``) and read labels and outcomes
from ``backend.queues.kinds.KINDS`` — registered in :data:`QUEUES` once per engine kind (异议申诉,
信用修复, 承诺履约核查 …), replacing ``AgencyQueue`` when agency requests become engine items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from backend.calendar.workdays import WorkCalendar, load_calendar
from backend.common.actor import Actor
from backend.common.crypto import mask_id_number, mask_name
from backend.common.ids import normalize_code
from backend.common.models import AuditEntry
from backend.common.paging import paginate
from backend.platform.errors import Conflict, NotFound, ValidationFailed
from backend.staff.agency_api import ROLES as AGENCY_ROLES
from backend.staff.models import StaffUser
from backend.staff.services import require_role
from backend.subjects import agency as agency_svc
from backend.subjects.models import AgencyStatus, Firm, FirmAgency

DUE_SOON_WORKING_DAYS = 1  # 即将到期: due today or on the next working day
BADGES = {"ok": "正常", "soon": "即将到期", "overdue": "已逾期"}


@dataclass(frozen=True)
class Badge:
    code: str
    label: str


def deadline_badge(deadline: date | None, today: date, soon_until: date) -> Badge | None:
    """正常 / 即将到期 / 已逾期 of an open item's deadline (None: no deadline or closed)."""
    if deadline is None:
        return None
    code = "overdue" if deadline < today else "soon" if deadline <= soon_until else "ok"
    return Badge(code, BADGES[code])


@dataclass
class QueueFilters:
    state: str | None = None
    deadline: str | None = None  # ok / soon / overdue
    q: str | None = None  # subject code or name
    department: str | None = None  # department code (kinds routed to departments)
    mine: bool = False
    sort: str = "deadline"
    page: int = 1
    per_page: int = 20


@dataclass
class QueueRow:
    id: int
    title: str
    subject_code: str
    subject_name: str
    state: str
    state_label: str
    opened_at: datetime
    deadline: date | None
    badge: Badge | None
    assignee: str | None = None
    department: str | None = None


@dataclass
class QueueDetail:
    row: QueueRow
    facts: list[tuple[str, str]]
    timeline: list[tuple[datetime, str, str]]
    outcomes: dict[str, str]  # empty when the item is closed
    refusal_outcomes: frozenset[str] = frozenset()  # outcomes that need a reason
    refusal_reasons: tuple[str, ...] = ()
    with_valid_until: bool = False
    result: str | None = None  # how it ended, when closed


@dataclass
class QueueCounts:
    open: int = 0
    due_soon: int = 0
    overdue: int = 0
    mine: int = 0


class QueueAdapter(Protocol):
    kind: str
    label: str
    states: dict[str, str]
    sorts: dict[str, str]
    can_claim: bool
    routed_to_departments: bool

    def require_reader(self, actor: Actor) -> None: ...
    def require_decider(self, actor: Actor) -> None: ...
    def list(self, session: Session, actor: Actor, filters: QueueFilters, today: date) -> tuple[list[QueueRow], int]: ...
    def detail(self, session: Session, actor: Actor, item_id: int, today: date) -> QueueDetail: ...
    def claim(self, session: Session, actor: Actor, item_id: int) -> None: ...
    def decide(self, session: Session, actor: Actor, item_id: int, outcome: str, reason: str | None,
               form: dict[str, str]) -> None: ...
    def counts(self, session: Session, actor: Actor, today: date) -> QueueCounts: ...


# --- 企业授权经办 -------------------------------------------------------------------------------

# 信用办5个工作日内审核（本区自定，无上位时限）: the same rule as the queue engine's agency.review.2026.
AGENCY_REVIEW_WORKING_DAYS = 5
AGENCY_REFUSAL_REASONS = (
    "材料不足以证明授权关系",
    "申请人与企业无关联",
    "企业已注销或吊销",
    "申请说明不清楚，请补充后重新申请",
)
AGENCY_LABELS = {AgencyStatus.PENDING: "待审核", AgencyStatus.APPROVED: "已授权",
                 AgencyStatus.REJECTED: "未通过", AgencyStatus.REVOKED: "已撤销"}
_AUDIT_LABELS = {"agency.request": "提交申请", "agency.decide": "作出审核决定", "agency.withdraw": "申请人撤回"}


def _calendar(session: Session, today: date) -> WorkCalendar:
    return load_calendar(session, today.year - 1, today.year + 1)


def _requested_on(agency: FirmAgency) -> date:
    from backend.common.clock import CHINA_TZ

    at = agency.requested_at
    return (at.astimezone(CHINA_TZ) if at.tzinfo else at).date()


def _latest_start_with_deadline_before(cal: WorkCalendar, day: date, n: int) -> date:
    """The latest request day whose deadline (n working days later) falls before ``day``."""
    start = day
    while cal.covers(start - timedelta(days=1)) and cal.add_working_days(start, n) >= day:
        start -= timedelta(days=1)
    return start


class AgencyQueue:
    """企业授权经办审核 over ``backend.subjects.agency`` (credit office, as in the staff API)."""

    kind = "agency"
    label = "企业授权"
    states = {"pending": "待审核", "approved": "已授权", "rejected": "未通过", "revoked": "已撤销", "all": "全部"}
    sorts = {"deadline": "期限最近在前", "newest": "最新申请在前", "firm": "按企业名称"}
    can_claim = False  # authorisations are decided directly; there is no assignment to take
    routed_to_departments = False

    def require_reader(self, actor: Actor) -> None:
        require_role(actor, AGENCY_ROLES, "企业授权审核由信用办管理员办理。")

    def require_decider(self, actor: Actor) -> None:
        require_role(actor, AGENCY_ROLES, "企业授权审核由信用办管理员办理。")

    def _row(self, agency: FirmAgency, cal: WorkCalendar, today: date) -> QueueRow:
        status = AgencyStatus(agency.status)
        deadline = cal.add_working_days(_requested_on(agency), AGENCY_REVIEW_WORKING_DAYS)
        badge = (deadline_badge(deadline, today, cal.add_working_days(today, DUE_SOON_WORKING_DAYS))
                 if status == AgencyStatus.PENDING else None)
        return QueueRow(
            id=agency.id, title=f"{mask_name(agency.person.name)} 申请经办", subject_code=agency.firm.uscc,
            subject_name=agency.firm.name, state=status.value, state_label=AGENCY_LABELS[status],
            opened_at=agency.requested_at, deadline=deadline if status == AgencyStatus.PENDING else None,
            badge=badge,
        )

    def list(self, session, actor, filters, today):
        self.require_reader(actor)
        state = filters.state or "pending"
        stmt = select(FirmAgency).join(Firm, Firm.id == FirmAgency.firm_id).options(
            selectinload(FirmAgency.firm), selectinload(FirmAgency.person))
        if state != "all":
            if state not in self.states:
                raise ValidationFailed("state_invalid", "状态无法识别。", errors={"state": ["状态无法识别。"]})
            stmt = stmt.where(FirmAgency.status == AgencyStatus(state))
        if filters.q:
            code = normalize_code(filters.q)
            stmt = stmt.where(or_(Firm.uscc == code, Firm.name.contains(filters.q.strip()[:100], autoescape=True)))
        if filters.mine:
            stmt = stmt.where(FirmAgency.decided_by_id == actor.id)
        cal = _calendar(session, today)
        if filters.deadline in BADGES:
            # Deadlines follow the request day: each badge is a range of request days.
            stmt = stmt.where(FirmAgency.status == AgencyStatus.PENDING)
            overdue_until = _latest_start_with_deadline_before(cal, today, AGENCY_REVIEW_WORKING_DAYS)
            soon_day = cal.add_working_days(today, DUE_SOON_WORKING_DAYS) + timedelta(days=1)
            soon_until = _latest_start_with_deadline_before(cal, soon_day, AGENCY_REVIEW_WORKING_DAYS)
            requested = FirmAgency.requested_at
            # Day boundaries in China time, compared on the stored UTC instants.
            bound = _china_midnight_utc
            if filters.deadline == "overdue":
                stmt = stmt.where(requested < bound(overdue_until))
            elif filters.deadline == "soon":
                stmt = stmt.where(requested >= bound(overdue_until), requested < bound(soon_until))
            else:
                stmt = stmt.where(requested >= bound(soon_until))
        order = {
            "newest": (FirmAgency.requested_at.desc(), FirmAgency.id.desc()),
            "firm": (Firm.name, FirmAgency.id),
        }.get(filters.sort, (FirmAgency.requested_at, FirmAgency.id))
        result = paginate(session, stmt, *order, page=filters.page, per_page=filters.per_page)
        return [self._row(a, cal, today) for a in result.items], result.total

    def _get(self, session: Session, item_id: int) -> FirmAgency:
        agency = session.get(FirmAgency, item_id)
        if agency is None:
            raise NotFound("agency_not_found", "没有找到该授权申请。")
        return agency

    def detail(self, session, actor, item_id, today):
        self.require_reader(actor)
        agency = self._get(session, item_id)
        cal = _calendar(session, today)
        row = self._row(agency, cal, today)
        facts = [
            ("企业名称", agency.firm.name), ("统一社会信用代码", agency.firm.uscc),
            ("申请人", mask_name(agency.person.name)), ("申请人证件号", mask_id_number(agency.person.id_number)),
            ("职务", agency.role_title or "—"), ("申请说明", agency.evidence_note or "—"),
        ]
        if agency.valid_until:
            facts.append(("授权有效期至", agency.valid_until.isoformat()))
        entries = session.execute(
            select(AuditEntry).where(AuditEntry.target_type == "firm_agency", AuditEntry.target_id == str(agency.id))
            .order_by(AuditEntry.id)
        ).scalars()
        timeline = [(e.at, e.actor, _AUDIT_LABELS.get(e.action, e.action)) for e in entries]
        names = staff_names(session, [who for _, who, _ in timeline])
        timeline = [(at, names.get(who, "申请人" if who.startswith("account:") else who), what)
                    for at, who, what in timeline]
        pending = agency.status == AgencyStatus.PENDING
        result = None
        if not pending:
            result = AGENCY_LABELS[AgencyStatus(agency.status)]
            if agency.decision_note:
                result += f"：{agency.decision_note}"
        return QueueDetail(
            row=row, facts=facts, timeline=timeline,
            outcomes={"approve": "同意授权", "reject": "不予授权"} if pending else {},
            refusal_outcomes=frozenset({"reject"}), refusal_reasons=AGENCY_REFUSAL_REASONS,
            with_valid_until=True, result=result,
        )

    def claim(self, session, actor, item_id):
        raise Conflict("claim_unsupported", "企业授权申请无需领取，可直接审核。")

    def decide(self, session, actor, item_id, outcome, reason, form):
        self.require_decider(actor)
        if outcome not in ("approve", "reject"):
            raise ValidationFailed("outcome_required", "请选择审核结果。", errors={"outcome": ["请选择审核结果。"]})
        valid_until = None
        raw = (form.get("valid_until") or "").strip()
        if outcome == "approve" and raw:
            try:
                valid_until = date.fromisoformat(raw)
            except ValueError:
                msg = "日期格式不正确，请按“2027-12-31”的格式填写。"
                raise ValidationFailed("valid_until_invalid", msg, errors={"valid_until": [msg]}) from None
        agency_svc.decide_agency(session, actor, item_id, approve=outcome == "approve", note=reason,
                                 valid_until=valid_until)

    def counts(self, session, actor, today):
        rows, total = self.list(session, actor, QueueFilters(state="pending", per_page=500), today)
        return QueueCounts(open=total, due_soon=sum(1 for r in rows if r.badge and r.badge.code == "soon"),
                           overdue=sum(1 for r in rows if r.badge and r.badge.code == "overdue"))


def staff_names(session: Session, refs) -> dict[str, str]:
    """``{"staff:3": "张三（信用办管理员）"}`` for the staff refs among ``refs`` (one query)."""
    from backend.staff.models import ROLE_LABELS

    ids = {int(r.split(":", 1)[1]) for r in refs if r.startswith("staff:") and r.split(":", 1)[1].isdigit()}
    if not ids:
        return {}
    users = session.execute(select(StaffUser).where(StaffUser.id.in_(ids))).scalars()
    return {f"staff:{u.id}": f"{u.display_name}（{ROLE_LABELS[u.role]}）" for u in users}


def _china_midnight_utc(day: date) -> datetime:
    from backend.common.clock import CHINA_TZ

    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)


# Every queue page the console shows, in menu order. The engine's kinds are added here.
QUEUES: dict[str, QueueAdapter] = {q.kind: q for q in (AgencyQueue(),)}


@dataclass
class DecisionForm:
    outcome: str = ""
    reason_choice: str = ""
    reason_text: str = ""
    valid_until: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        parts = [p for p in (self.reason_choice.strip(), self.reason_text.strip()) if p]
        return "：".join(parts) or None
