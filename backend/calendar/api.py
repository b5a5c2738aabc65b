"""Staff API for the working-day calendar (``/staff/v1/calendar``).

Any staff member may read the calendar and try the deadline arithmetic; only the credit office's
administrators (信用办管理员) enter or remove exceptions.
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from backend.calendar import notice
from backend.calendar import services as svc
from backend.common.clock import china_today
from backend.http.auth import current_actor, staff_required
from backend.http.extensions import get_session
from backend.platform.errors import ValidationFailed
from backend.staff.models import Role

blp = Blueprint(
    "staff_calendar", __name__, url_prefix="/staff/v1/calendar",
    description="工作日历：法定节假日与调休上班日（工作日计算的依据）",
)
_SECURED = [{"bearer": []}]


class YearQuerySchema(Schema):
    year = fields.Int(load_default=None, metadata={"description": "年份，默认今年"})


class CalendarDaySchema(Schema):
    day = fields.Date()
    weekday = fields.Function(lambda e: svc.weekday_label(e.day))
    is_workday = fields.Bool()
    name = fields.Str()
    source = fields.Str(metadata={"description": "chinesecalendar（自动导入）、staff（人工录入）或 provisional（推算）"})
    provisional = fields.Bool(dump_default=False,
                              metadata={"description": "true = 按放假办法推算的暂定法定节假日，尚无国务院通知"})
    updated_at = fields.DateTime(allow_none=True)


class YearCalendarSchema(Schema):
    year = fields.Int()
    has_entries = fields.Bool()
    provisional = fields.Bool(metadata={"description": "true = 全年为推算的暂定法定节假日"})
    warning = fields.Str(allow_none=True)
    holidays = fields.Int(metadata={"description": "落在工作日的法定节假日天数"})
    makeup_workdays = fields.Int(metadata={"description": "周末调休上班天数"})
    entries = fields.List(fields.Nested(CalendarDaySchema))


class DayInfoSchema(Schema):
    day = fields.Date()
    weekday = fields.Function(lambda d: svc.weekday_label(d.day))
    is_workday = fields.Bool()
    name = fields.Str(allow_none=True)
    source = fields.Str(allow_none=True)
    is_exception = fields.Bool()
    provisional = fields.Bool()


class DayInputSchema(Schema):
    is_workday = fields.Bool(required=True, metadata={"description": "true = 调休上班，false = 放假"})
    name = fields.Str(required=True, validate=validate.Length(min=1, max=40))


class AddQuerySchema(Schema):
    start = fields.Str(required=True, data_key="from", metadata={"description": "起算日期，如 2026-12-28"})
    days = fields.Int(required=True, validate=validate.Range(min=0, max=svc.MAX_DAYS))


class AddResultSchema(Schema):
    start = fields.Date(data_key="from")
    days = fields.Int()
    result = fields.Date()
    result_weekday = fields.Function(lambda r: svc.weekday_label(r.result))
    missing_years = fields.List(fields.Int())
    warning = fields.Str(allow_none=True)


class NoticeDaySchema(Schema):
    day = fields.Str(required=True, metadata={"description": "2027-01-01"})
    is_workday = fields.Bool(required=True, metadata={"description": "true = 调休上班，false = 放假"})
    name = fields.Str(required=True)


class NoticeInputSchema(Schema):
    days = fields.List(fields.Nested(NoticeDaySchema), required=True)


class NoticeReportSchema(Schema):
    year = fields.Int()
    holidays = fields.Int()
    makeup_workdays = fields.Int()
    replaced = fields.Int(metadata={"description": "被替换的原有条目数"})


@blp.route("/<int:year>/notice")
class YearNotice(MethodView):
    @staff_required(roles=[Role.CREDIT_ADMIN])
    @blp.response(200, NoticeReportSchema)
    @blp.doc(security=_SECURED)
    def put(self, year):
        """录入一年的国务院放假通知，整体替换该年的安排（JSON 的 days，或上传 CSV/XLSX 文件 file：日期、类型、名称）"""
        upload = request.files.get("file")
        if upload is not None:
            rows = notice.read_notice_file(upload.filename or "", upload.read(notice.MAX_BYTES + 1))
        else:
            try:
                rows = NoticeInputSchema().load(request.get_json(silent=True) or {})["days"]
            except ValidationError as err:
                raise ValidationFailed("calendar_notice_invalid", "请以 days 列表提交通知的日期（day、is_workday、name）。",
                                       errors=err.messages) from None
        return notice.import_year_notice(get_session(), current_actor(), year, rows)


@blp.route("")
class CalendarYear(MethodView):
    @staff_required()
    @blp.arguments(YearQuerySchema, location="query")
    @blp.response(200, YearCalendarSchema)
    @blp.doc(security=_SECURED)
    def get(self, args):
        """一年的节假日与调休安排（未录入的年份按周末计算，并给出提示）"""
        return svc.get_year(get_session(), args["year"] or china_today().year)


@blp.route("/add-working-days")
class AddWorkingDays(MethodView):
    @staff_required()
    @blp.arguments(AddQuerySchema, location="query")
    @blp.response(200, AddResultSchema)
    @blp.doc(security=_SECURED)
    def get(self, args):
        """从某日起算若干个工作日后的日期（起算日不计入）"""
        start = svc.parse_date(args["start"], "from")
        return svc.compute_working_days(get_session(), start, args["days"])


@blp.route("/<string:day>")
class CalendarDayResource(MethodView):
    @staff_required()
    @blp.response(200, DayInfoSchema)
    @blp.doc(security=_SECURED)
    def get(self, day):
        """某一天是否工作日"""
        return svc.describe_day(get_session(), svc.parse_date(day))

    @staff_required(roles=[Role.CREDIT_ADMIN])
    @blp.arguments(DayInputSchema)
    @blp.response(200, CalendarDaySchema)
    @blp.doc(security=_SECURED)
    def put(self, args, day):
        """录入或修改一天的节假日/调休安排（信用办管理员）"""
        return svc.set_day(
            get_session(), current_actor(), svc.parse_date(day), is_workday=args["is_workday"], name=args["name"]
        )

    @staff_required(roles=[Role.CREDIT_ADMIN])
    @blp.response(204)
    @blp.doc(security=_SECURED)
    def delete(self, day):
        """删除一天的节假日/调休安排，恢复按周一至周五计算（信用办管理员）"""
        svc.delete_day(get_session(), current_actor(), svc.parse_date(day))
