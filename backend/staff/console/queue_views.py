"""工作台 (dashboard), the generic queue page and the item detail with its decision form."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, request, url_for

from backend.common.clock import china_today
from backend.http.extensions import get_session
from backend.http.files import upload_response
from backend.platform.db import utcnow
from backend.platform.errors import Conflict, DomainError, Forbidden, NotFound
from backend.queues.reports import department_figures
from backend.records.models import RECORD_KIND_LABELS, SEVERITY_LABELS
from backend.records.stats import publication_figures
from backend.staff.console.queues import QUEUES, DecisionForm, QueueFilters
from backend.staff.console.record_views import CORRECTABLE_FIELDS
from backend.staff.console.web import (
    bp,
    console_actor,
    field_errors,
    first_submission,
    page,
    page_arg,
    safe_next,
    staff_page,
)
from backend.staff.models import Role
from backend.staff.services import department_by_code, require_department_scope

FIGURES_DAYS = 90
OFFICE_ROLES = (Role.CREDIT_ADMIN, Role.AUDITOR)
PER_PAGE_CHOICES = (20, 50, 100)
# An evidence file opened on its own: nothing of it may run; the browser's PDF viewer and image view work.
FILE_CSP = "default-src 'none'; img-src 'self'; object-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def _queue(kind: str):
    adapter = QUEUES.get(kind)
    if adapter is None:
        abort(404)
    return adapter


def readable_queues(actor):
    """The queues the actor may open (for the menu and the dashboard)."""
    out = []
    for adapter in QUEUES.values():
        try:
            adapter.require_reader(actor)
        except Forbidden:
            continue
        out.append(adapter)
    return out


def chart_bars(figures, width: int = 360, bar_height: int = 18, gap: int = 6) -> dict:
    """Geometry of the on-time-rate bar chart (an SVG the template draws; no script)."""
    label_w = 90
    bars = []
    for i, f in enumerate(figures):
        rate = f.on_time_rate or 0.0
        bars.append({"y": i * (bar_height + gap), "w": round((width - label_w - 50) * rate, 1),
                     "label": f.short_name, "text": f"{rate:.0%}", "low": rate < 0.9})
    return {"bars": bars, "width": width, "height": max(1, len(bars)) * (bar_height + gap),
            "label_w": label_w, "bar_h": bar_height}


@bp.route("/")
@staff_page()
def dashboard():
    session, actor, today = get_session(), console_actor(), china_today()
    queues = [(q, q.counts(session, actor, today)) for q in readable_queues(actor)]
    figures = chart = work = work_chart = None
    if actor.role in {str(r) for r in OFFICE_ROLES}:
        figures = publication_figures(session, actor, since=utcnow() - timedelta(days=FIGURES_DAYS))
        chart = chart_bars(figures)
        work = department_figures(session, actor, date_from=today - timedelta(days=FIGURES_DAYS), date_to=today)
        work_chart = chart_bars(work)
    return page("dashboard.html", queues=queues, figures=figures, chart=chart, work=work, work_chart=work_chart,
                days=FIGURES_DAYS)


@bp.route("/departments/<code>")
@staff_page((Role.CREDIT_ADMIN, Role.AUDITOR, Role.DEPT_REVIEWER))
def department(code: str):
    """One department's page: its own staff, the credit office and auditors only."""
    session, actor = get_session(), console_actor()
    dept = department_by_code(session, code[:32])
    require_department_scope(actor, dept.id)
    figures = publication_figures(session, actor, since=utcnow() - timedelta(days=FIGURES_DAYS),
                                  department_code=dept.code)
    return page("department.html", dept=dept, figures=figures, chart=chart_bars(figures), days=FIGURES_DAYS)


def _filters(adapter) -> tuple[QueueFilters, dict[str, str]]:
    args = request.args
    errors: dict[str, str] = {}
    page_no = page_arg()
    try:
        per_page = int(args.get("per_page") or 20)
    except ValueError:
        per_page = 20
    state = args.get("state") or None
    if state and state not in adapter.states:
        state, errors["state"] = None, "状态无法识别。"
    deadline = args.get("deadline") or None
    if deadline not in (None, "ok", "soon", "overdue"):
        deadline, errors["deadline"] = None, "期限筛选无法识别。"
    sort = args.get("sort") or "deadline"
    return QueueFilters(
        state=state, deadline=deadline, q=(args.get("q") or "").strip()[:100] or None,
        department=(args.get("department") or "").strip()[:32] or None, mine=args.get("mine") == "1",
        sort=sort if sort in adapter.sorts else "deadline", page=page_no,
        per_page=per_page if per_page in PER_PAGE_CHOICES else 20,
    ), errors


@bp.route("/queues/<kind>")
@staff_page()
def queue(kind: str):
    adapter = _queue(kind)
    filters, errors = _filters(adapter)
    try:
        rows, total = adapter.list(get_session(), console_actor(), filters, china_today())
    except DomainError as err:
        if err.status in (401, 403) and not err.errors:
            raise
        rows, total = [], 0
        aliases = {"subject_code": "q", "subject_name": "q", "department_code": "department", "due": "deadline"}
        errors.update({k: v[0] for k, v in field_errors(err, aliases).items()} or {"q": err.message})
    pages = max(1, -(-total // filters.per_page))
    return page("queue.html", adapter=adapter, rows=rows, total=total, filters=filters, pages=pages,
                errors=errors, args=request.args, may_work=adapter.may_decide(console_actor()))


def _detail_page(adapter, item_id: int, form: DecisionForm | None = None, status: int = 200,
                 notice: str | None = None):
    detail = adapter.detail(get_session(), console_actor(), item_id, china_today())
    return page("queue_item.html", status, adapter=adapter, detail=detail, form=form or DecisionForm(),
                notice=notice, back=safe_next(request.args.get("back") or request.form.get("back")),
                fields=CORRECTABLE_FIELDS, kinds=RECORD_KIND_LABELS, severities=SEVERITY_LABELS)


def _refused(adapter, item_id: int, err: Conflict):
    """Someone else acted first (claimed, decided, the applicant withdrew): say so, show the item now."""
    get_session().rollback()
    return _detail_page(adapter, item_id, status=409, notice=err.message)


@bp.route("/queues/<kind>/<int(max=2147483647):item_id>")
@staff_page()
def queue_item(kind: str, item_id: int):
    return _detail_page(_queue(kind), item_id)


@bp.route("/queues/<kind>/<int(max=2147483647):item_id>/files/<int(max=2147483647):upload_id>")
@staff_page()
def queue_file(kind: str, item_id: int, upload_id: int):
    """An evidence file of the item, opened in the browser (images inline, PDFs in its viewer). Only
    the files the item's description names; every view is in the audit chain."""
    response = upload_response(_queue(kind).evidence(get_session(), console_actor(), item_id, upload_id),
                               "evidence", inline=True)
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response


@bp.route("/queues/<kind>/<int(max=2147483647):item_id>/decision", methods=["POST"])
@staff_page()
def queue_decide(kind: str, item_id: int):
    adapter = _queue(kind)
    adapter.require_decider(console_actor())
    f = request.form
    extra = {name: f.get(name, "")[:10_000]
             for name in (*CORRECTABLE_FIELDS, "remedy", "lift_list_entries", *adapter.extra_names)}
    form = DecisionForm(outcome=f.get("outcome", "")[:30], reason_choice=f.get("reason_choice", "")[:100],
                        reason_text=f.get("reason_text", "")[:2000],
                        values=extra)
    if not first_submission():
        flash("该决定已提交过一次，未重复处理。", "info")
        return redirect(url_for("console.queue_item", kind=kind, item_id=item_id), code=303)
    # As in a record correction: only the fields filled in are changes.
    changes = {name: extra[name].strip() for name in CORRECTABLE_FIELDS if extra[name].strip()}
    data = {**extra, "changes": changes, "reason_choice": form.reason_choice,
            "seen_state": f.get("seen_state", "")[:30]}
    try:
        adapter.decide(get_session(), console_actor(), item_id, form.outcome, form.reason, data)
    except Conflict as err:
        return _refused(adapter, item_id, err)
    except NotFound:
        raise
    except DomainError as err:
        if err.status in (401, 403) and not err.errors:
            raise
        get_session().rollback()
        form.errors = field_errors(err, {"reason": "reason_text", "note": "reason_text", "changes": "changes",
                                         "refuse_reason": "reason_choice"})
        if not form.errors:
            form.errors = {"outcome": [err.message]}
        return _detail_page(adapter, item_id, form, status=err.status)
    flash("已提交办理决定。", "success")
    return redirect(url_for("console.queue_item", kind=kind, item_id=item_id), code=303)


def _act(kind: str, item_id: int, done: str, action) -> object:
    adapter = _queue(kind)
    if not first_submission():
        flash("该操作已提交过一次，未重复处理。", "info")
        return redirect(url_for("console.queue_item", kind=kind, item_id=item_id), code=303)
    try:
        action(adapter, get_session(), console_actor())
    except Conflict as err:
        return _refused(adapter, item_id, err)
    except NotFound:
        raise
    except DomainError as err:
        if err.status in (401, 403) and not err.errors:
            raise
        get_session().rollback()
        return _detail_page(adapter, item_id, status=err.status, notice=err.message)
    flash(done, "success")
    return redirect(url_for("console.queue_item", kind=kind, item_id=item_id), code=303)


@bp.route("/queues/<kind>/<int(max=2147483647):item_id>/claim", methods=["POST"])
@staff_page()
def queue_claim(kind: str, item_id: int):
    return _act(kind, item_id, "已领取，由您办理。", lambda a, s, actor: a.claim(s, actor, item_id))


@bp.route("/queues/<kind>/<int(max=2147483647):item_id>/release", methods=["POST"])
@staff_page()
def queue_release(kind: str, item_id: int):
    note = request.form.get("note", "")[:2000]
    return _act(kind, item_id, "已退回队列，其他人可以领取。", lambda a, s, actor: a.release(s, actor, item_id, note))


@bp.route("/queues/<kind>/<int(max=2147483647):item_id>/reassign", methods=["POST"])
@staff_page()
def queue_reassign(kind: str, item_id: int):
    f = request.form
    assignee, department, note = f.get("assignee_id", "")[:12], f.get("department_code", "")[:32], f.get("note", "")[:2000]
    return _act(kind, item_id, "已转办。", lambda a, s, actor: a.reassign(
        s, actor, item_id, assignee=assignee, department=department, note=note))


# The menu shows what the actor may open, decided by the same role lists the pages check.
_MENU = (
    ("console.records", "信用信息", "READ"),
    ("console.record_new", "报送", "WRITE"),
    ("console.record_batch", "批量报送", "WRITE"),
    ("console.staff_users", "工作人员", "ADMIN"),
    ("console.departments", "单位", "OFFICE"),
    ("console.calendar", "工作日历", None),
    ("console.audit_log", "审计日志", "AUDIT"),
    ("console.voucher_redeem", "核销权益券", "MERCHANT"),
)


@bp.context_processor
def _menu() -> dict:
    from backend.records.staff_api import READ_ROLES, WRITE_ROLES
    from backend.staff.audit_log import AUDIT_READERS

    actor = console_actor()
    if actor is None:
        return {"menu": []}
    groups = {"READ": READ_ROLES, "WRITE": WRITE_ROLES, "ADMIN": (Role.CREDIT_ADMIN,), "OFFICE": OFFICE_ROLES,
              "AUDIT": AUDIT_READERS, "MERCHANT": (Role.MERCHANT,)}
    items = [("console.dashboard", "工作台", {})]
    items += [("console.queue", q.label, {"kind": q.kind}) for q in readable_queues(actor)]
    for endpoint, label, group in _MENU:
        if group is None or actor.role in {str(r) for r in groups[group]}:
            items.append((endpoint, label, {}))
    if actor.department_id is not None and actor.role == Role.DEPT_REVIEWER:
        from backend.staff.models import Department

        dept = get_session().get(Department, actor.department_id)
        if dept is not None:
            items.append(("console.department", "本单位", {"code": dept.code}))
    return {"menu": items}
