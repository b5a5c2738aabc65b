"""Console pages of the commitment catalogue (信用承诺事项清单) and the integrity notice (诚信提示).

The same services as ``/staff/v1/commitment-items`` and ``/staff/v1/integrity-notices``
(``backend.commitments.catalogue``, ``catalogue_import``, ``signing``) and the same role sets:
department reviewers keep their own department's items, the credit office any department's, the
auditor reads; only the credit office publishes the notice. No rule here: a view parses the form,
calls one service and renders the result or the service's field errors next to the fields.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from backend.commitments import catalogue, catalogue_import
from backend.commitments.letters import PLACEHOLDERS
from backend.commitments.models import COMMITMENT_TYPE_LABELS, SUBJECT_KIND_LABELS
from backend.commitments.signing import NOTICE_ROLES, current_notice, publish_notice
from backend.http.extensions import get_session
from backend.platform.errors import DomainError
from backend.staff.console.admin_views import all_departments
from backend.staff.console.web import (
    bp,
    console_actor,
    field_errors,
    first_submission,
    page,
    page_arg,
    staff_page,
)
from backend.staff.models import Role

READ_MESSAGE = "您的岗位无权查看信用承诺事项清单。"
WRITE_MESSAGE = "您的岗位没有管理信用承诺事项的权限。"
PER_PAGE = 50
TYPES = {t.value: label for t, label in COMMITMENT_TYPE_LABELS.items()}
KINDS = {k.value: label for k, label in SUBJECT_KIND_LABELS.items()}
# save_item's field names → the form's
ALIASES = {"type": "commitment_type"}
TEXT_FIELDS = ("department_code", "code", "name", "commitment_type", "term_months", "agency_uscc")


def _may_write() -> bool:
    return console_actor().role in {str(r) for r in catalogue.MANAGE_ROLES}


def _picks_department() -> bool:
    # The credit office keeps items for any department; a reviewer's items are their own department's.
    return console_actor().role == Role.CREDIT_ADMIN


def _form_page(values: dict, errors=None, status: int = 200, item=None):
    return page("commitment_item.html", status, values=values, errors=errors or {}, item=item, types=TYPES,
                kinds=KINDS, may_write=_may_write(), picks_department=_picks_department(),
                departments=all_departments() if _picks_department() else [], placeholders=PLACEHOLDERS)


# --- the list ------------------------------------------------------------------------------------


@bp.route("/admin/commitment-items")
@staff_page(catalogue.READ_ROLES, READ_MESSAGE)
def commitment_items():
    session, args = get_session(), request.args
    errors: dict[str, list[str]] = {}
    ctype = args.get("type") or None
    if ctype is not None and ctype not in TYPES:
        errors["type"] = ["请选择列表中的承诺类型。"]
        ctype = None
    page_no = page_arg()
    result = catalogue.search_items(session, console_actor(), department_code=(args.get("department") or None),
                                    commitment_type=ctype, page=page_no, per_page=PER_PAGE)
    return page("commitment_items.html", 422 if errors else 200, items=catalogue.describe_items(session, result.items),
                total=result.total, page_no=page_no, pages=max(1, -(-result.total // PER_PAGE)), args=args,
                errors=errors, types=TYPES, may_write=_may_write(), picks_department=_picks_department(),
                departments=all_departments() if console_actor().role != Role.DEPT_REVIEWER else [],
                import_result=None, import_values={})


# --- one item: new, view, save ------------------------------------------------------------------


@bp.route("/admin/commitment-items/new")
@staff_page(catalogue.MANAGE_ROLES, WRITE_MESSAGE)
def commitment_item_new():
    return _form_page({"refuse_listed": True, "active": True, "subject_kinds": []})


@bp.route("/admin/commitment-items/<int(max=2147483647):item_id>")
@staff_page(catalogue.READ_ROLES, READ_MESSAGE)
def commitment_item(item_id: int):
    session = get_session()
    shown = catalogue.describe_items(session, [catalogue.view_item(session, console_actor(), item_id)])[0]
    values = {**shown, "commitment_type": shown["type"], "department_code": shown["department"].get("code", ""),
              "term_months": "" if shown["term_months"] is None else str(shown["term_months"]),
              "agency_uscc": shown["agency_uscc"] or ""}
    return _form_page(values, item=shown)


@bp.route("/admin/commitment-items", methods=["POST"])
@staff_page(catalogue.MANAGE_ROLES, WRITE_MESSAGE)
def commitment_item_save():
    f = request.form
    values: dict = {k: f.get(k, "")[:200] for k in TEXT_FIELDS}
    values.update(template=f.get("template", "")[:catalogue.TEMPLATE_MAX + 1],
                  subject_kinds=[k[:20] for k in f.getlist("subject_kinds")][:5],
                  refuse_listed=f.get("refuse_listed") == "1", active=f.get("active") == "1")
    if not _picks_department():
        values["department_code"] = ""
    if not first_submission():
        flash("该事项刚刚已提交过一次，未重复保存。", "info")
        return redirect(url_for("console.commitment_items"), code=303)
    session = get_session()
    try:
        saved = catalogue.save_item(
            session, console_actor(), code=values["code"], name=values["name"],
            commitment_type=values["commitment_type"], subject_kinds=values["subject_kinds"],
            template=values["template"], refuse_listed=values["refuse_listed"],
            term_months=values["term_months"].strip() or None, agency_uscc=values["agency_uscc"].strip() or None,
            active=values["active"], department_code=values["department_code"].strip() or None)
    except DomainError as err:
        if err.status in (401, 403) and not err.errors:
            raise
        session.rollback()
        errors = field_errors(err, ALIASES) or {"code": [err.message]}
        return _form_page(values, errors, err.status)
    outcome = {"created": "已新增", "updated": "已保存修改", "unchanged": "内容未变，无需保存"}[saved.outcome]
    version = f"（承诺书样式第{saved.item.template_version}版）" if saved.outcome != "unchanged" else ""
    flash(f"{outcome}：{saved.item.name}{version}。", "success" if saved.outcome != "unchanged" else "info")
    return redirect(url_for("console.commitment_item", item_id=saved.item.id), code=303)


# --- XLSX import ---------------------------------------------------------------------------------


@bp.route("/admin/commitment-items/import", methods=["POST"])
@staff_page(catalogue.MANAGE_ROLES, WRITE_MESSAGE)
def commitment_items_import():
    session, actor = get_session(), console_actor()
    upload = request.files.get("file")
    department = (request.form.get("department_code", "")[:32].strip() or None) if _picks_department() else None
    result: dict | None = None
    errors: dict[str, list[str]] = {}
    if upload is None or not upload.filename:
        errors["file"] = ["请选择要导入的 .xlsx 文件。"]
    elif not first_submission():
        flash("该文件刚刚已导入过一次，未重复导入。", "info")
        return redirect(url_for("console.commitment_items"), code=303)
    else:
        try:
            result = catalogue_import.import_catalogue(session, actor, upload.read(), department_code=department)
        except DomainError as err:
            if err.status in (401, 403) and not err.errors:
                raise
            session.rollback()
            errors = field_errors(err) or {"file": [err.message]}
    page_result = catalogue.search_items(session, actor, page=1, per_page=PER_PAGE)
    return page("commitment_items.html", 422 if errors else 200,
                items=catalogue.describe_items(session, page_result.items), total=page_result.total, page_no=1,
                pages=max(1, -(-page_result.total // PER_PAGE)), args={}, errors=errors, types=TYPES,
                may_write=True, picks_department=_picks_department(),
                departments=all_departments() if _picks_department() else [], import_result=result,
                import_values={"department_code": department or ""})


# --- the integrity notice ------------------------------------------------------------------------


def _notice_page(values=None, errors=None, status: int = 200):
    version, title, body = current_notice(get_session())
    may_publish = console_actor().role in {str(r) for r in NOTICE_ROLES}
    return page("integrity_notice.html", status, version=version, title=title, body=body,
                values=values or {"title": title, "body": body}, errors=errors or {}, may_publish=may_publish)


@bp.route("/admin/integrity-notice", methods=["GET", "POST"])
@staff_page(catalogue.READ_ROLES, READ_MESSAGE)
def integrity_notice():
    if request.method == "GET":
        return _notice_page()
    from backend.staff.services import require_role

    require_role(console_actor(), NOTICE_ROLES, "只有信用办管理员可以修改诚信提示。")
    values = {"title": request.form.get("title", "")[:200], "body": request.form.get("body", "")[:6000]}
    if not first_submission():
        flash("该版本刚刚已发布过一次，未重复发布。", "info")
        return redirect(url_for("console.integrity_notice"), code=303)
    session = get_session()
    try:
        notice = publish_notice(session, console_actor(), title=values["title"], body=values["body"])
    except DomainError as err:
        if err.status in (401, 403) and not err.errors:
            raise
        session.rollback()
        return _notice_page(values, field_errors(err) or {"body": [err.message]}, err.status)
    flash(f"已发布诚信提示第{notice.version}版；此后首次签署的主体阅读确认新版本。", "success")
    return redirect(url_for("console.integrity_notice"), code=303)


# --- the menu ------------------------------------------------------------------------------------


@bp.context_processor
def _admin_menu() -> dict:
    """Menu entries of these pages, for the roles the pages admit (base.html shows them after the rest)."""
    actor = console_actor()
    if actor is None or actor.role not in {str(r) for r in catalogue.READ_ROLES}:
        return {"admin_menu": []}
    return {"admin_menu": [("console.commitment_items", "承诺事项", {}),
                           ("console.integrity_notice", "诚信提示", {})]}

