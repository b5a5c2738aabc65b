"""Administration pages: staff accounts, departments, the working-day calendar, the audit log."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from sqlalchemy import select

from backend.calendar import notice
from backend.calendar import services as calendar_svc
from backend.common.audit import verify_chain
from backend.common.clock import china_today
from backend.http.extensions import get_session
from backend.platform.errors import DomainError, ValidationFailed
from backend.staff import services as staff_svc
from backend.staff.audit_log import get_entry, require_audit_reader, search_audit
from backend.staff.console.queues import staff_names
from backend.staff.console.web import (
    bp,
    console_actor,
    date_arg,
    field_errors,
    first_submission,
    page,
    page_arg,
    staff_page,
)
from backend.staff.models import ROLE_LABELS, Department, Role

ADMIN = (Role.CREDIT_ADMIN,)
ADMIN_MESSAGE = "只有信用办管理员可以管理工作人员账号和工作日历。"
OFFICE = (Role.CREDIT_ADMIN, Role.AUDITOR)


def all_departments():
    """Every department by code (the pages' department choices)."""
    return get_session().execute(select(Department).order_by(Department.code)).scalars().all()


# --- staff accounts -----------------------------------------------------------------------------


def _staff_page(values=None, errors=None, status=200):
    users = staff_svc.list_staff_users(get_session())
    return page("staff_users.html", status, users=users, roles=ROLE_LABELS, departments=all_departments(),
                values=values or {}, errors=errors or {})


@bp.route("/admin/staff", methods=["GET", "POST"])
@staff_page(ADMIN, ADMIN_MESSAGE)
def staff_users():
    if request.method == "GET":
        return _staff_page()
    f = request.form
    values = {k: f.get(k, "")[:128] for k in ("username", "display_name", "role", "department")}
    if not first_submission():
        flash("该账号刚刚已提交过一次，未重复创建。", "info")
        return redirect(url_for("console.staff_users"), code=303)
    session = get_session()
    try:
        dept_id = (staff_svc.find_department_by_code(session, values["department"]).id
                   if values["department"].strip() else None)
        user = staff_svc.create_staff_user(session, console_actor(), username=values["username"],
                                           password=f.get("password", "")[:256], display_name=values["display_name"],
                                           role=values["role"], department_id=dept_id)
    except DomainError as err:
        if err.status in (401, 403) and not err.errors:
            raise
        errors = field_errors(err) or {"username": [err.message]}
        session.rollback()
        return _staff_page(values, errors, err.status)
    flash(f"已创建账号 {user.username}。", "success")
    return redirect(url_for("console.staff_users"), code=303)


@bp.route("/admin/staff/<int:user_id>/deactivate", methods=["POST"])
@staff_page(ADMIN, ADMIN_MESSAGE)
def staff_deactivate(user_id: int):
    user = staff_svc.deactivate_staff(get_session(), console_actor(), user_id)
    flash(f"已停用账号 {user.username}，其登录随即失效。", "success")
    return redirect(url_for("console.staff_users"), code=303)


@bp.route("/admin/staff/<int:user_id>/password", methods=["POST"])
@staff_page(ADMIN, ADMIN_MESSAGE)
def staff_reset_password(user_id: int):
    try:
        user = staff_svc.reset_password(get_session(), console_actor(), user_id, request.form.get("password", "")[:256])
    except ValidationFailed as err:
        get_session().rollback()
        return _staff_page(errors={f"reset_{user_id}": [err.message]}, status=422)
    flash(f"已重置 {user.username} 的密码。", "success")
    return redirect(url_for("console.staff_users"), code=303)


@bp.route("/admin/departments")
@staff_page(OFFICE, "单位列表仅供信用办和审计员查看。")
def departments():
    return page("departments.html", departments=all_departments())


# --- working-day calendar ---------------------------------------------------------------------


def _calendar_page(year: int, values=None, errors=None, status=200, notice_values=None, refused=None,
                   notice_errors=None):
    cal = calendar_svc.get_year(get_session(), year)
    may_edit = console_actor().role == Role.CREDIT_ADMIN
    return page("calendar.html", status, cal=cal, year=year, values=values or {}, errors=errors or {},
                may_edit=may_edit, weekday=calendar_svc.weekday_label,
                notice_values=notice_values or {"year": str(year)}, refused=refused or [],
                notice_errors=notice_errors or [])


@bp.route("/admin/calendar")
@staff_page()
def calendar():
    try:
        year = int(request.args.get("year") or china_today().year)
        calendar_svc.check_year(year)
    except (ValueError, ValidationFailed):
        year = china_today().year
        flash("年份应为2000至2100之间的数字。", "warning")
    return _calendar_page(year)


@bp.route("/admin/calendar/day", methods=["POST"])
@staff_page(ADMIN, ADMIN_MESSAGE)
def calendar_day():
    f = request.form
    values = {"day": f.get("day", "")[:20], "name": f.get("name", "")[:80], "is_workday": f.get("is_workday", "0"),
              "action": f.get("action", "set")}
    year = china_today().year
    session = get_session()
    try:
        day = calendar_svc.parse_date(values["day"], "day")
        year = day.year
        if values["action"] == "delete":
            calendar_svc.delete_day(session, console_actor(), day)
            flash(f"已删除 {day.isoformat()} 的安排，恢复按周一至周五计算。", "success")
        else:
            calendar_svc.set_day(session, console_actor(), day, is_workday=values["is_workday"] == "1",
                                 name=values["name"])
            flash(f"已保存 {day.isoformat()} 的安排。", "success")
    except DomainError as err:
        session.rollback()
        errors = field_errors(err) or {"day": [err.message]}
        return _calendar_page(year, values, errors, err.status)
    return redirect(url_for("console.calendar", year=year), code=303)


def _refused_rows(err: DomainError, rows: list[dict] | None) -> tuple[list[dict], list[str]]:
    """The notice's refused rows (``row N`` errors, with what the row held) and its general messages."""
    refused, general = [], []
    errors = err.errors if isinstance(err.errors, dict) else {}
    for key, messages in errors.items():
        messages = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        number = key[4:] if isinstance(key, str) and key.startswith("row ") else ""
        if number.isdigit():
            row = rows[int(number) - 1] if rows and 0 < int(number) <= len(rows) else {}
            refused.append({"row": int(number), "day": row.get("day"), "type": row.get("type", row.get("is_workday")),
                            "name": row.get("name"), "messages": messages})
        else:
            general.extend(messages)
    return sorted(refused, key=lambda r: r["row"]), list(dict.fromkeys([err.message, *general]))


@bp.route("/admin/calendar/notice", methods=["POST"])
@staff_page(ADMIN, ADMIN_MESSAGE)
def calendar_notice():
    """Enter a year's State Council notice: an uploaded CSV/XLSX or a pasted table, through the service
    behind ``PUT /staff/v1/calendar/{year}/notice``; refused rows are listed and the input kept."""
    f = request.form
    paste = f.get("paste", "")[:notice.MAX_BYTES + 1]
    values = {"year": f.get("year", "")[:10], "paste": paste}
    year = china_today().year
    rows: list[dict] | None = None
    session = get_session()
    try:
        try:
            year = calendar_svc.check_year(int(values["year"].strip()))
        except ValueError:
            raise ValidationFailed("invalid_year", "年份应为2000至2100之间的数字。",
                                   errors={"year": ["年份应为2000至2100之间的数字。"]}) from None
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            rows = notice.read_notice_file(upload.filename, upload.read(notice.MAX_BYTES + 1))
        else:
            rows = notice.read_pasted_rows(paste)
        if not first_submission():
            flash("该通知刚刚已提交过一次，未重复录入。", "info")
            return redirect(url_for("console.calendar", year=year), code=303)
        report = notice.import_year_notice(session, console_actor(), year, rows)
    except DomainError as err:
        if err.status in (401, 403):
            raise
        session.rollback()
        refused, general = _refused_rows(err, rows)
        if not paste.strip() and rows:  # an uploaded file: its rows come back as text to fix in place
            values["paste"] = notice.rows_as_text(rows)
        return _calendar_page(year, status=err.status, notice_values=values, refused=refused, notice_errors=general)
    flash(f"已录入{year}年放假通知：{report.holidays}天放假、{report.makeup_workdays}天调休上班"
          f"（替换该年原有的{report.replaced}条安排）。", "success")
    return redirect(url_for("console.calendar", year=year), code=303)


# --- audit log --------------------------------------------------------------------------------


@bp.route("/audit")
@staff_page()
def audit_log():
    session, actor, args = get_session(), console_actor(), request.args
    require_audit_reader(actor)
    errors: dict[str, list[str]] = {}
    date_from, date_to = date_arg("from", errors), date_arg("to", errors)
    page_no = page_arg()
    entries, total = [], 0
    if not errors:
        result = search_audit(
            session, actor, actor_ref=args.get("actor") or None, target_type=args.get("target_type") or None,
            target_id=args.get("target_id") or None, action=args.get("action") or None,
            date_from=date_from, date_to=date_to, page=page_no, per_page=50)
        entries, total = result.items, result.total
    names = staff_names(session, [e.actor for e in entries])
    return page("audit.html", 422 if errors else 200, entries=entries, total=total, page_no=page_no,
                pages=max(1, -(-total // 50)), args=args, errors=errors, names=names, report=None, bad=None)


@bp.route("/audit/verify", methods=["POST"])
@staff_page()
def audit_verify():
    session, actor = get_session(), console_actor()
    require_audit_reader(actor)
    # Whatever the chain check reports (its shape belongs to backend.common.audit), shown as it says.
    report = verify_chain(session)
    bad_id = getattr(report, "first_bad_id", None)
    bad = get_entry(session, actor, bad_id) if isinstance(bad_id, int) else None
    summary = {
        "ok": bool(getattr(report, "ok", bad_id is None)),
        "checked": getattr(report, "checked", None),
        "first_bad_id": bad_id,
        "problem": getattr(report, "problem", None),
    }
    return page("audit.html", entries=[], total=0, page_no=1, pages=1, args={}, errors={},
                names=staff_names(session, [bad.actor] if bad else []), report=summary, bad=bad)
