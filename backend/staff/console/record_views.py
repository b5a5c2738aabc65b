"""Records work in the console: search, submit one, upload a batch, correct one (new version)."""

from __future__ import annotations

import io

from flask import current_app, flash, redirect, request, send_file, url_for

from backend.http.extensions import get_session
from backend.platform.errors import DomainError
from backend.records import ingest, queries, services
from backend.records.models import RECORD_KIND_LABELS, RECORD_STATUS_LABELS, SEVERITY_LABELS
from backend.records.schemas import present_detail, present_records
from backend.records.staff_api import READ_ROLES, WRITE_ROLES
from backend.staff.console.sheets import FIELD_LABELS, XLSX_TYPE, is_xlsx, read_xlsx, refused_rows_xlsx
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
from backend.staff.models import Role

READ_MESSAGE = "您的岗位无权查看信用信息。"
WRITE_MESSAGE = "只有部门审核员和信用办管理员可以报送或更正信用信息。"
RECORD_FIELDS = ("subject_code", "kind", "severity", "decision_no", "decision_date", "title", "summary",
                 "legal_basis", "domain", "amount_yuan", "result", "department_code")
CORRECTABLE_FIELDS = tuple(f for f in RECORD_FIELDS if f != "department_code")


def _choices() -> dict:
    return {"kinds": RECORD_KIND_LABELS, "statuses": RECORD_STATUS_LABELS, "severities": SEVERITY_LABELS,
            "statuses_by_value": {s.value: label for s, label in RECORD_STATUS_LABELS.items()}}


def _may_name_department() -> bool:
    return console_actor().role == Role.CREDIT_ADMIN


@bp.route("/records")
@staff_page(READ_ROLES, READ_MESSAGE)
def records():
    session, actor, args = get_session(), console_actor(), request.args
    errors: dict[str, list[str]] = {}
    date_from, date_to = date_arg("from", errors), date_arg("to", errors)
    page_no = page_arg()
    items, total = [], 0
    searched = any(args.get(k) for k in ("subject_code", "kind", "status", "from", "to", "page"))
    if not errors:
        try:
            result = queries.search_records(
                session, actor, subject_code=(args.get("subject_code") or "").strip()[:40] or None,
                kind=args.get("kind") or None, status=args.get("status") or None, date_from=date_from,
                date_to=date_to, include_history=args.get("include_history") == "1", page=page_no, per_page=20)
            items, total = present_records(session, result.items), result.total
        except DomainError as err:
            if err.status in (401, 403):
                raise
            errors = field_errors(err) or {"subject_code": [err.message]}
    return page("records.html", 422 if errors else 200, items=items, total=total, page_no=page_no,
                pages=max(1, -(-total // 20)), args=args, errors=errors, searched=searched, **_choices())


@bp.route("/records/new", methods=["GET", "POST"])
@staff_page(WRITE_ROLES, WRITE_MESSAGE)
def record_new():
    if request.method == "GET":
        return page("record_new.html", values={}, errors={}, may_name_department=_may_name_department(),
                    **_choices())
    values = {f: request.form.get(f, "")[:10_000] for f in RECORD_FIELDS}
    if not _may_name_department():
        values["department_code"] = ""
    if not first_submission():
        flash("该信息刚刚已提交过一次，未重复报送。", "info")
        return redirect(url_for("console.records"), code=303)
    data = {k: (v.strip() or None) for k, v in values.items()}
    session = get_session()
    try:
        record = services.submit_record(session, console_actor(), data)
    except DomainError as err:
        if err.status in (401, 403) and not err.errors:
            raise
        errors = field_errors(err) or {"form": [err.message]}
        return page("record_new.html", err.status, values=values, errors=errors,
                    may_name_department=_may_name_department(), **_choices())
    flash("已报送一条信用信息。", "success")
    return redirect(url_for("console.record_detail", record_id=record.id), code=303)


@bp.route("/records/batch", methods=["GET", "POST"])
@staff_page(WRITE_ROLES, WRITE_MESSAGE)
def record_batch():
    if request.method == "GET":
        return page("record_batch.html", errors={}, values={}, may_name_department=_may_name_department())
    values = {"department_code": (request.form.get("department_code") or "")[:32] if _may_name_department() else ""}
    if not first_submission():
        flash("该文件刚刚已上传过一次，未重复报送。", "info")
        return redirect(url_for("console.record_batch"), code=303)
    upload = request.files.get("file")
    max_rows = current_app.config["BATCH_MAX_ROWS"]
    try:
        if upload is None or not upload.filename:
            msg = "请选择要上传的 CSV 或 Excel（.xlsx）文件。"
            raise DomainError("file_required", msg, status=422, errors={"file": [msg]})
        data = upload.read(ingest.MAX_CSV_BYTES + 1)
        xlsx = is_xlsx(upload.filename, data)
        rows = read_xlsx(data, max_rows) if xlsx else ingest.read_csv(data, max_rows)
        batch = ingest.submit_batch(get_session(), console_actor(), rows,
                                    department_code=values["department_code"].strip() or None,
                                    source="xlsx" if xlsx else "csv", max_rows=max_rows)
    except DomainError as err:
        if err.status in (401, 403) and not err.errors:
            raise
        errors = field_errors(err) or {"file": [err.message]}
        errors = {("file" if k == "rows" else k): v for k, v in errors.items()}
        return page("record_batch.html", err.status, errors=errors, values=values,
                    may_name_department=_may_name_department())
    return redirect(url_for("console.batch_result", batch_id=batch.id), code=303)


@bp.route("/records/batches/<int:batch_id>")
@staff_page(READ_ROLES, READ_MESSAGE)
def batch_result(batch_id: int):
    batch = services.get_batch(get_session(), console_actor(), batch_id)
    return page("batch_result.html", batch=batch, field_labels=FIELD_LABELS)


@bp.route("/records/batches/<int:batch_id>/refused.xlsx")
@staff_page(READ_ROLES, READ_MESSAGE)
def batch_refused_xlsx(batch_id: int):
    batch = services.get_batch(get_session(), console_actor(), batch_id)
    data = refused_rows_xlsx(batch.errors or [])
    return send_file(io.BytesIO(data), mimetype=XLSX_TYPE, as_attachment=True,
                     download_name=f"退回的行-第{batch.id}批.xlsx")


def _detail(record_id: int, values: dict | None = None, errors: dict | None = None, status: int = 200):
    session, actor = get_session(), console_actor()
    record = services.get_record(session, record_id)
    services.ensure_department_access(actor, record)
    history = services.record_history(session, record_id)
    events = services.record_events(session, [r.id for r in history])
    detail = present_detail(session, record, history, events)
    may_write = actor.role in {str(r) for r in WRITE_ROLES}
    return page("record_detail.html", status, r=detail, values=values or {}, errors=errors or {},
                may_write=may_write, fields=CORRECTABLE_FIELDS, **_choices())


@bp.route("/records/<int:record_id>")
@staff_page(READ_ROLES, READ_MESSAGE)
def record_detail(record_id: int):
    return _detail(record_id)


@bp.route("/records/<int:record_id>/correct", methods=["POST"])
@staff_page(WRITE_ROLES, WRITE_MESSAGE)
def record_correct(record_id: int):
    values = {f: request.form.get(f, "")[:10_000] for f in (*CORRECTABLE_FIELDS, "reason")}
    if not first_submission():
        flash("该更正刚刚已提交过一次，未重复处理。", "info")
        return redirect(url_for("console.record_detail", record_id=record_id), code=303)
    # Only the fields the person filled in are changes; empty boxes keep the current value.
    changes = {f: values[f].strip() for f in CORRECTABLE_FIELDS if values[f].strip()}
    try:
        new = services.supersede_record(get_session(), console_actor(), record_id, changes, values["reason"])
    except DomainError as err:
        if err.status in (401, 403) and not err.errors:
            raise
        get_session().rollback()
        errors = field_errors(err, {"changes": "form"}) or {"form": [err.message]}
        return _detail(record_id, values, errors, err.status)
    flash(f"已更正，生成第{new.version}版。", "success")
    return redirect(url_for("console.record_detail", record_id=new.id), code=303)
