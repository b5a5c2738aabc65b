"""Mini-program: evidence uploads (``POST /miniapp/v1/uploads``), multipart field ``file``."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload as FileField
from marshmallow import Schema, fields

from backend.http.auth import account_required, current_actor
from backend.http.extensions import get_session
from backend.http.idempotency import idempotent
from backend.uploads.services import MAX_BYTES, store_upload

blp = Blueprint("miniapp_uploads", __name__, url_prefix="/miniapp/v1/uploads", description="小程序：上传证明材料")
SECURITY = [{"bearer": []}]


class UploadIn(Schema):
    file = FileField(required=True, metadata={"description": "PDF、JPG 或 PNG，单个不超过10MB"})


class UploadOut(Schema):
    id = fields.Integer()
    media_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = fields.DateTime()


@blp.route("")
class Uploads(MethodView):
    @account_required
    @idempotent
    @blp.doc(security=SECURITY)
    @blp.arguments(UploadIn, location="files")
    @blp.response(201, UploadOut)
    @blp.alt_response(409, description="uploads_pending_limit（尚未提交的材料已达上限）")
    @blp.alt_response(422, description="upload_empty / upload_too_large / upload_type_unsupported / "
                                       "upload_type_mismatch / upload_corrupt / upload_image_too_large / "
                                       "upload_pdf_active_content / upload_pdf_uncheckable")
    def post(self, files):
        """上传一个证明材料（按内容识别类型；图片会重新编码以去除拍摄信息）。"""
        f = files["file"]
        content = f.stream.read(MAX_BYTES + 1)
        return store_upload(get_session(), current_actor(), content=content, filename=f.filename,
                            declared_type=f.mimetype)
