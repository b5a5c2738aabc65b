"""Queue adapters: what the generic queue and detail pages need from one kind of staff work.

The pages (``queue_views.py`` and ``templates/console/queue*.html``) know only :class:`QueueAdapter`.
Every kind of the review-queue engine (``backend.queues.kinds.KINDS``: 异议申诉, 企业授权经办, and
what other contexts add — 信用修复, 信易贷 …) gets one page through ONE adapter, :class:`EngineQueue`,
over ``backend.queues.services`` (list, read, timeline, claim, release, reassign, decide). A kind added
to ``KINDS`` appears in the console without a console change; :data:`KIND_FORMS` only adds the
optional extras of a kind's decision form (refusal reasons as choices, a record correction, dates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.calendar.workdays import add_working_days
from backend.cards.services import Audience, load_card, render_card
from backend.common.actor import Actor
from backend.common.audit import audit
from backend.common.ids import normalize_code
from backend.common.text import field_error
from backend.loans.services import authorised_card_if_any
from backend.objections.models import REFUSE_LABELS
from backend.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.queues import services as queue
from backend.queues.deadlines import rule_by_code
from backend.queues.kinds import DONE, KINDS
from backend.queues.models import QueueItem
from backend.queues.services import DUE_SOON_WORKING_DAYS
from backend.records import services as records_svc
from backend.records.queries import describe_departments, describe_subjects
from backend.records.schemas import present_detail
from backend.staff.models import ROLE_LABELS, Role, StaffUser
from backend.staff.services import require_role
from backend.uploads.models import Upload
from backend.uploads.services import get_upload

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
    assignee_id: int | None = None


@dataclass
class QueueDetail:
    row: QueueRow
    facts: list[tuple[str, str]]
    timeline: list[tuple[datetime, str, str]]
    outcomes: dict[str, str]  # empty when the item is closed or the actor may not decide
    refusal_outcomes: frozenset[str] = frozenset()  # outcomes that need a reason
    reason_choices: dict[str, str] = field(default_factory=dict)  # value → label
    correction: str | None = None  # the outcome that corrects the record (asks for its changes)
    extras: list[Any] = field(default_factory=list)  # ExtraField: more inputs of this kind's decision
    result: str | None = None  # how it ended, when closed
    state: str = ""  # the state the page was rendered in (a stale page is recognised by it)
    records: list[dict] = field(default_factory=list)  # each with its versions (``history``) and events
    card: dict | None = None  # the subject's card as staff see it
    files: list[Any] = field(default_factory=list)  # EvidenceFile
    may_claim: bool = False
    may_release: bool = False
    colleagues: list[tuple[int, str]] = field(default_factory=list)  # reassign candidates
    may_reroute: bool = False


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
    default_state: str
    sorts: dict[str, str]
    can_claim: bool
    routed_to_departments: bool

    def require_reader(self, actor: Actor) -> None: ...
    def require_decider(self, actor: Actor) -> None: ...
    @property
    def extra_names(self) -> tuple[str, ...]: ...
    def may_decide(self, actor: Actor) -> bool: ...
    def list(self, session: Session, actor: Actor, filters: QueueFilters, today: date) -> tuple[list[QueueRow], int]: ...
    def detail(self, session: Session, actor: Actor, item_id: int, today: date) -> QueueDetail: ...
    def evidence(self, session: Session, actor: Actor, item_id: int, upload_id: int) -> Upload: ...
    def claim(self, session: Session, actor: Actor, item_id: int) -> None: ...
    def release(self, session: Session, actor: Actor, item_id: int, note: str | None) -> None: ...
    def reassign(self, session: Session, actor: Actor, item_id: int, *, assignee: str, department: str,
                 note: str | None) -> None: ...
    def decide(self, session: Session, actor: Actor, item_id: int, outcome: str, reason: str | None,
               form: dict[str, Any]) -> None: ...
    def counts(self, session: Session, actor: Actor, today: date) -> QueueCounts: ...


# --- the review-queue engine's kinds ----------------------------------------------------------


@dataclass(frozen=True)
class ExtraField:
    """One more input of a kind's decision form, given to the kind's handler as ``data[name]`` typed as
    the staff API's schema (``backend.queues.schemas.QueueDecideIn``) gives it: the handler checks it."""

    name: str
    label: str
    type: str = "text"  # text / int / decimal / date
    outcome: str | None = None  # asked for this outcome only (None: every outcome)

    @property
    def input_type(self) -> str:
        return {"int": "number", "date": "date"}.get(self.type, "text")

    def parse(self, raw: str) -> Any:
        """The typed value of what was typed; 422 ``<name>_invalid`` next to the field."""
        try:
            if self.type == "int":
                return int(raw)
            if self.type == "decimal":
                value = Decimal(raw)
                if not value.is_finite():
                    raise InvalidOperation
                return value
            if self.type == "date":
                return date.fromisoformat(raw)
        except (ValueError, InvalidOperation):
            hint = {"int": "请填写整数。", "decimal": "请填写数字，如 3.45。",
                    "date": "日期格式不正确，请按“2027-12-31”的格式填写。"}[self.type]
            raise ValidationFailed(f"{self.name}_invalid", hint, errors={self.name: [hint]}) from None
        return raw


@dataclass(frozen=True)
class KindForm:
    """Extras of one kind's decision form (a kind without a row gets outcome + free-text reason)."""

    # The outcomes whose 办理意见 the form marks as required. The kind's handler is what requires it
    # (422 reason_required with its own message): keep this set equal to what the handler checks.
    refusals: frozenset[str] = frozenset({"refuse", "reject", "deny", "decline"})
    reason_choices: dict[str, str] = field(default_factory=dict)  # value → label, offered on refusal
    # The handler's data key of the chosen reason (a code); None: the choice is put before the text.
    choice_key: str | None = None
    correction: str | None = None  # the outcome that corrects the record (its changes are asked)
    extras: tuple[ExtraField, ...] = ()  # more inputs, passed to the kind's handler as data[name]


AGENCY_REFUSAL_REASONS = (
    "材料不足以证明授权关系",
    "申请人与企业无关联",
    "企业已注销或吊销",
    "申请说明不清楚，请补充后重新申请",
)
KIND_FORMS: dict[str, KindForm] = {
    "objection": KindForm(refusals=frozenset({"refuse"}), choice_key="refuse_reason", correction="correct",
                          reason_choices={code.value: label for code, label in REFUSE_LABELS.items()}),
    "agency": KindForm(refusals=frozenset({"reject"}), reason_choices={r: r for r in AGENCY_REFUSAL_REASONS},
                       extras=(ExtraField("valid_until", "授权有效期至（默认一年）", "date", "approve"),)),
    "repair": KindForm(refusals=frozenset({"refuse"}), extras=(
        ExtraField("retry_from", "可重新申请的日期（不予修复时填写，默认今天）", "date", "refuse"),)),
    "loan": KindForm(refusals=frozenset({"approve", "refuse"}), extras=(  # 审批意见 either way
        ExtraField("approved_amount_yuan", "批准金额（元，不超过申请金额）", "int", "approve"),
        ExtraField("annual_rate", "年利率（%，如 3.45）", "decimal", "approve"),
        ExtraField("term_months", "贷款期限（月）", "int", "approve"))),
    "list_proposal": KindForm(refusals=frozenset({"reject"})),
    "commitment_followup": KindForm(refusals=frozenset({"kept", "breached", "withdrawn"}), extras=(  # 核查说明
        ExtraField("decision_no", "违诺认定文书号（违诺时必填）", "text", "breached"),
        ExtraField("decision_date", "违诺认定日期（默认今天）", "date", "breached"))),
}
ALL_STATE, OPEN_STATE = "all", "open"
_EVENT_LABELS = {"create": "提交", "claim": "领取", "release": "退回队列", "reassign": "转办", "reroute": "改派部门",
                 "decide": "作出决定", "close": "办结", "escalate": "逾期督办", "supplement": "申请人补正材料"}
FILE_TYPES = {"application/pdf": "PDF", "image/jpeg": "图片", "image/png": "图片"}


@dataclass
class EvidenceFile:
    id: int
    media_type: str
    size: int

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")

    @property
    def label(self) -> str:
        return f"{FILE_TYPES.get(self.media_type, '文件')}（{max(1, round(self.size / 1024))} KB）"


def _person_ref(who: str, names: dict[str, str]) -> str:
    if who.startswith("account:"):
        return "申请人"
    if who == "system":
        return "系统"
    return names.get(who, who)


class EngineQueue:
    """One kind of the review-queue engine (``backend.queues``): every call goes to its services,
    which check role, department scope and state; labels, states and outcomes come from ``KINDS``."""

    can_claim = True
    sorts = {"deadline": "期限最近在前", "newest": "最新在前", "oldest": "最早在前"}
    default_state = OPEN_STATE

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.spec = KINDS[kind]
        self.label = self.spec.label
        self.form = KIND_FORMS.get(kind, KindForm())
        open_states = {k: v for k, v in self.spec.states.items() if k != DONE}
        self.states = {OPEN_STATE: "未办结", **open_states, DONE: self.spec.states.get(DONE, "已办结"),
                       ALL_STATE: "全部"}
        # Kinds worked by department reviewers are routed to departments: the filter makes sense.
        self.routed_to_departments = "dept_reviewer" in self.spec.worker_roles

    # who
    def require_reader(self, actor: Actor) -> None:
        if self.kind not in queue.kinds_for(actor):
            raise Forbidden("role_forbidden", f"您的岗位不办理{self.label}事项。")

    def may_decide(self, actor: Actor) -> bool:
        return actor.role == Role.CREDIT_ADMIN or actor.role in self.spec.worker_roles

    def require_decider(self, actor: Actor) -> None:
        require_role(actor, (Role.CREDIT_ADMIN, *self.spec.worker_roles), f"您的岗位没有办理{self.label}事项的权限。")

    # reading
    def _rows(self, session: Session, items: list[QueueItem], today: date) -> list[QueueRow]:
        subjects = describe_subjects(session, (i.subject_id for i in items if i.subject_id))
        departments = describe_departments(session, (i.department_id for i in items))
        names = staff_names(session, [f"staff:{i.assignee_id}" for i in items if i.assignee_id])
        soon = add_working_days(session, today, DUE_SOON_WORKING_DAYS)
        rows = []
        for i in items:
            subject = subjects.get(i.subject_id or 0, {})
            rows.append(QueueRow(
                id=i.id, title=f"{self.label} 第{i.id}号", subject_code=subject.get("code", "—"),
                subject_name=subject.get("name", "—"), state=i.state,
                state_label=self.spec.states.get(i.state, i.state), opened_at=i.created_at,
                deadline=i.deadline if i.is_open else None,
                badge=deadline_badge(i.deadline, today, soon) if i.is_open else None,
                assignee=names.get(f"staff:{i.assignee_id}") if i.assignee_id else None,
                department=departments.get(i.department_id, {}).get("short_name"),
                assignee_id=i.assignee_id,
            ))
        return rows

    def _query(self, filters: QueueFilters) -> dict[str, Any]:
        state = filters.state or OPEN_STATE
        args: dict[str, Any] = {"kind": self.kind, "state": None if state == ALL_STATE else state,
                                "department_code": filters.department, "mine": filters.mine,
                                "due": filters.deadline, "sort": filters.sort}
        if filters.q:
            code = normalize_code(filters.q)
            if len(code) in (15, 18) and code.isalnum() and any(c.isdigit() for c in code):
                args["subject_code"] = code  # a code: a mistyped one is a 422 with the reason
            else:
                args["subject_name"] = filters.q
        return args

    def list(self, session, actor, filters, today):
        self.require_reader(actor)
        result = queue.list_items(session, actor, page=filters.page, per_page=filters.per_page,
                                  **self._query(filters))
        return self._rows(session, list(result.items), today), result.total

    def counts(self, session, actor, today):
        def total(**kw) -> int:
            return queue.list_items(session, actor, kind=self.kind, state=OPEN_STATE, per_page=1, **kw).total

        return QueueCounts(open=total(), due_soon=total(due="soon"), overdue=total(due="overdue"),
                           mine=total(mine=True))

    def _item(self, session: Session, actor: Actor, item_id: int) -> QueueItem:
        self.require_reader(actor)
        item = queue.get_item(session, actor, item_id)
        if item.kind != self.kind:
            raise NotFound("queue_item_not_found", "没有找到该待办事项。")
        return item

    def _timeline(self, session: Session, item: QueueItem) -> list[tuple[datetime, str, str]]:
        events = queue.timeline(session, item.id)
        names = staff_names(session, [e.actor for e in events])
        out = []
        for e in events:
            what = _EVENT_LABELS.get(e.action, e.action)
            outcome = (e.details or {}).get("outcome")
            if outcome:
                what += f"：{self.spec.label_of(outcome)}"
            if e.to_state and e.from_state and e.to_state != e.from_state:
                what += f"（{self.spec.states.get(e.from_state, e.from_state)} → {self.spec.states.get(e.to_state, e.to_state)}）"
            if e.note:
                what += f" — {e.note}"
            out.append((e.at, _person_ref(e.actor, names), what))
        return out

    def _result(self, session: Session, item: QueueItem) -> str | None:
        if item.is_open:
            return None
        text = self.spec.label_of(item.outcome) or self.spec.states.get(DONE, "已办结")
        last = next((e for e in reversed(queue.timeline(session, item.id)) if e.action in ("decide", "close")), None)
        if last is not None and last.note:
            text += f"：{last.note}"
        return text

    def detail(self, session, actor, item_id, today):
        item = self._item(session, actor, item_id)
        row = self._rows(session, [item], today)[0]
        described = self.spec.description(session, actor, item)
        facts = [*described.facts, ("办理单位", row.department or "—"), ("办理人", row.assignee or "未领取")]
        rule = rule_by_code(item.deadline_rule) if item.is_open and item.deadline_rule else None
        if rule is not None:
            facts.append(("期限依据", rule.basis))
        outcomes = dict(self.spec.outcomes.get(item.state, {})) if item.is_open and self.may_decide(actor) else {}
        staff = actor.id if actor.is_staff else None
        return QueueDetail(
            row=row, facts=facts, timeline=self._timeline(session, item), outcomes=outcomes,
            refusal_outcomes=self.form.refusals & set(outcomes), reason_choices=self.form.reason_choices,
            correction=self.form.correction if self.form.correction in outcomes else None,
            extras=[x for x in self.form.extras if x.outcome is None or x.outcome in outcomes],
            result=self._result(session, item), state=item.state,
            records=[self._record(session, rid) for rid in described.record_ids],
            card=self._card(session, actor, item),
            files=self._files(session, described.upload_ids),
            may_claim=item.is_open and item.assignee_id is None and self.may_decide(actor),
            may_release=item.is_open and item.assignee_id is not None and self.may_decide(actor)
            and (item.assignee_id == staff or actor.role == Role.CREDIT_ADMIN),
            colleagues=self._colleagues(session, item) if item.is_open and self.may_decide(actor) else [],
            may_reroute=item.is_open and actor.role == Role.CREDIT_ADMIN,
        )

    @staticmethod
    def _card(session: Session, actor: Actor, item: QueueItem) -> dict | None:
        """The subject's card on the item page. A bank reads a firm's card only as the firm authorised
        it for this application (信易贷: the shared view, while the authorisation lasts, each view
        audited) — the same service as ``GET /staff/v1/loans/{id}/card``; the other staff roles read
        the staff view."""
        if actor.role == Role.BANK_PARTNER:
            return authorised_card_if_any(session, actor, item.ref_id) if item.kind == "loan" else None
        return staff_card(session, item.subject_id)

    @staticmethod
    def _record(session: Session, record_id: int) -> dict:
        # The item's own scope check (get_item) covers its records: the record objected to is the
        # department's, and the credit office sees all.
        record = records_svc.get_record(session, record_id)
        history = records_svc.record_history(session, record_id)
        return present_detail(session, record, history, records_svc.record_events(session, [r.id for r in history]))

    @staticmethod
    def _files(session: Session, upload_ids: tuple[int, ...]) -> list[EvidenceFile]:
        if not upload_ids:
            return []
        rows = session.execute(select(Upload.id, Upload.media_type, Upload.size).where(Upload.id.in_(upload_ids)))
        found = {i: EvidenceFile(i, t, s) for i, t, s in rows}
        return [found[i] for i in upload_ids if i in found]

    def _colleagues(self, session: Session, item: QueueItem) -> list[tuple[int, str]]:
        roles = {Role.CREDIT_ADMIN.value, *self.spec.worker_roles}
        users = session.execute(
            select(StaffUser).where(StaffUser.department_id == item.department_id, StaffUser.active.is_(True))
            .order_by(StaffUser.display_name, StaffUser.id)
        ).scalars()
        return [(u.id, f"{u.display_name}（{ROLE_LABELS[u.role]}）") for u in users
                if str(u.role) in roles and u.id != item.assignee_id]

    def evidence(self, session: Session, actor: Actor, item_id: int, upload_id: int) -> Upload:
        """One evidence file named by this item's description — no other upload — each view audited."""
        item = self._item(session, actor, item_id)
        if upload_id not in self.spec.description(session, actor, item).upload_ids:
            raise NotFound("upload_not_found", "没有找到该材料。")
        upload = get_upload(session, upload_id)
        audit(session, actor, "upload.view", "upload", upload.id, queue_item_id=item.id, kind=self.kind,
              ref_id=item.ref_id)
        return upload

    # acting
    def claim(self, session, actor, item_id):
        self._item(session, actor, item_id)
        queue.claim(session, actor, item_id)

    def release(self, session: Session, actor: Actor, item_id: int, note: str | None) -> None:
        self._item(session, actor, item_id)
        queue.release(session, actor, item_id, note=note)

    def reassign(self, session: Session, actor: Actor, item_id: int, *, assignee: str, department: str,
                 note: str | None) -> None:
        self._item(session, actor, item_id)
        assignee_id = None
        if assignee.strip():
            try:
                assignee_id = int(assignee)
            except ValueError:
                raise field_error("assignee_id", "assignee_invalid", "请从列表中选择接办人员。") from None
        queue.reassign(session, actor, item_id, assignee_id=assignee_id,
                       department_code=department.strip()[:32] or None, note=note)

    def decide(self, session, actor, item_id, outcome, reason, form):
        self.require_decider(actor)
        item = self._item(session, actor, item_id)
        seen = form.get("seen_state") or item.state
        if not item.is_open or item.state != seen:
            now = self.spec.states.get(item.state, item.state)
            raise Conflict("queue_item_changed", f"该事项已由其他工作人员处理（现为“{now}”），请查看下方的最新结果。")
        data: dict[str, Any] = {}
        choice = (form.get("reason_choice") or "").strip()
        if choice and choice not in self.form.reason_choices:
            raise field_error("reason_choice", "reason_choice_invalid", "请从列表中选择原因。")
        if self.form.choice_key:
            if choice:
                data[self.form.choice_key] = choice
        elif choice:
            reason = "：".join(p for p in (choice, reason) if p)
        if outcome and outcome == self.form.correction:
            data["changes"] = dict(form.get("changes") or {})
            data["lift_list_entries"] = form.get("lift_list_entries") == "1"
            data["remedy"] = (form.get("remedy") or "").strip() or None
        for extra in self.form.extras:
            raw = str(form.get(extra.name) or "").strip()
            if raw and extra.outcome in (None, outcome):
                data[extra.name] = extra.parse(raw)
        queue.decide(session, actor, item.id, outcome=outcome, reason=reason, data=data, item=item)

    @property
    def extra_names(self) -> tuple[str, ...]:
        return tuple(x.name for x in self.form.extras)


def staff_card(session: Session, subject_id: int | None) -> dict | None:
    """The subject's 信用名片 as staff see it: the owner's view (every current record with its status,
    lists, evaluation) with the identity masked — the cards context's own assembly, no second card."""
    if subject_id is None:
        return None
    try:
        return render_card(load_card(session, subject_id), Audience.OWNER, unmasked=False)
    except NotFound:
        return None


def staff_names(session: Session, refs) -> dict[str, str]:
    """``{"staff:3": "张三（信用办管理员）"}`` for the staff refs among ``refs`` (one query)."""
    ids = {int(r.split(":", 1)[1]) for r in refs if r.startswith("staff:") and r.split(":", 1)[1].isdigit()}
    if not ids:
        return {}
    users = session.execute(select(StaffUser).where(StaffUser.id.in_(ids))).scalars()
    return {f"staff:{u.id}": f"{u.display_name}（{ROLE_LABELS[u.role]}）" for u in users}


# Every queue page the console shows, in the engine's order: one per kind of KINDS.
QUEUES: dict[str, QueueAdapter] = {kind: EngineQueue(kind) for kind in KINDS}


@dataclass
class DecisionForm:
    """What the person typed into the decision form, kept when it comes back with errors."""

    outcome: str = ""
    reason_choice: str = ""
    reason_text: str = ""
    values: dict[str, str] = field(default_factory=dict)  # the record correction's fields, remedy …
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        return self.reason_text.strip() or None
