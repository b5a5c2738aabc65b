"""Check and store an uploaded evidence file (``POST /miniapp/v1/uploads``).

What is accepted: PDF, JPEG and PNG, recognised from the first bytes of the content (never from the
name or the declared type alone), at most ``MAX_BYTES``. Refused, with a reason and nothing stored:
an empty file (``upload_empty``), a larger one (``upload_too_large``), another type
(``upload_type_unsupported``), a name or declared type that says otherwise than the content
(``upload_type_mismatch``), an image Pillow cannot read (``upload_corrupt``) or one above Pillow's
decompression-bomb limit (``upload_image_too_large``), a PDF with JavaScript, an automatic action
or an embedded file (``upload_pdf_active_content``), a PDF the scan cannot read through — encrypted, with LZW /
RunLength streams, undecodable ASCII85 / ASCIIHex ones or too deeply nested Flate
(``upload_pdf_uncheckable``).

An account keeps at most ``MAX_PENDING`` uploads not yet cited in an objection (409
``uploads_pending_limit`` beyond).

Images are decoded and re-encoded by Pillow, so EXIF (GPS position, camera, time), XMP and
comments are dropped; the orientation the EXIF asked for is applied first. The work is bounded: an
image of more than ``MAX_PIXELS`` is refused from its header before it is decoded
(``upload_image_too_large``), and PNG's costly ``optimize`` pass runs only up to
``PNG_OPTIMIZE_MAX_PIXELS`` (a screenshot); larger PNGs are written at zlib's default level.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import warnings
import zlib

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.common.actor import Actor
from backend.common.audit import audit
from backend.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.uploads.models import Upload

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_OBJECTION = 10
# Uploads not yet cited in an objection, per account: enough for two full objections. Without a cap
# one account could store 10 MB per write-rate-limit slot (600 MB a minute) that nothing ever uses.
MAX_PENDING = 2 * MAX_PER_OBJECTION
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
_EXTENSIONS = {".pdf": PDF, ".jpg": JPEG, ".jpeg": JPEG, ".png": PNG}
_LABELS = {PDF: "PDF", JPEG: "JPG", PNG: "PNG"}
# PDF names that run code or act by themselves. Names may hide letters as #xx escapes: decoded first.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|OpenAction|AA|Launch|EmbeddedFile|RichMedia|XFA|SubmitForm|ImportData)\b")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"(?<!end)stream[ \t]*(?:\r\n|\r|\n)")
# What the scan cannot read through: encrypted streams, and LZW / RunLength encodings (rare today)
# that could carry an object stream. Refused rather than let through unread. ASCII85 and ASCIIHex
# (reportlab, and so our own letters, use ASCII85) are decoded and read.
_PDF_UNCHECKABLE = re.compile(rb"/(Encrypt|LZWDecode|LZW|RunLengthDecode|RL|Crypt)\b")
_PDF_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+|\d+\s+\d+\s+R)")
_PDF_TEXT_FILTERS = {b"ASCII85Decode": b"~>", b"A85": b"~>", b"ASCIIHexDecode": b">", b"AHx": b">"}
MAX_PDF_INFLATE = 64 * 1024 * 1024  # decompressed bytes scanned at most (a zip bomb inside a PDF stops here)
MAX_PDF_NESTING = 4  # a stream compressed more often than this (/FlateDecode repeated) is not read
# A 50-megapixel phone photo (8160 × 6120) still passes; decoding one costs ~150 MB, so nothing larger.
MAX_PIXELS = 50_000_000
# Above this PNG's optimize pass (zlib level 9 plus a filter search) costs seconds of CPU for a few
# percent of size: measured 2.3 s against 1.6 s for a 6-megapixel photo-like PNG.
PNG_OPTIMIZE_MAX_PIXELS = 2_000_000


def _refuse(reason: str, message: str) -> ValidationFailed:
    return ValidationFailed(reason, message, errors={"file": [message]})


def sniff(content: bytes) -> str | None:
    """The media type the content really is (PDF, JPEG or PNG), or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


def _declared(filename: str | None, declared_type: str | None) -> set[str]:
    claims = set()
    if filename and "." in filename:
        ext = filename[filename.rfind("."):].lower()
        claims.add(_EXTENSIONS.get(ext, ext))
    if declared_type and declared_type not in ("application/octet-stream", ""):
        claims.add("image/jpeg" if declared_type == "image/jpg" else declared_type)
    return claims


def _reencode(content: bytes, media_type: str) -> bytes:
    with warnings.catch_warnings():
        # Above Image.MAX_IMAGE_PIXELS Pillow only warns (it raises at twice the limit): refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content)) as img:
                if img.width * img.height > MAX_PIXELS:  # from the header, before any decoding
                    raise Image.DecompressionBombError("pixels")
                img.load()
                img = ImageOps.exif_transpose(img)  # type: ignore[assignment]  # a plain Image from here on
                out = io.BytesIO()
                if media_type == JPEG:
                    img.convert("RGB").save(out, "JPEG", quality=90)
                else:
                    keep = img if img.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16") else img.convert("RGBA")
                    keep.save(out, "PNG", **png_save_options(keep.width, keep.height))
                return out.getvalue()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse("upload_image_too_large", "图片像素过多，请缩小后重新上传。") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise _refuse("upload_corrupt", "图片已损坏或无法识别，请重新拍摄或导出后上传。") from None


def png_save_options(width: int, height: int) -> dict:
    """Pillow's PNG options for a re-encode: ``optimize`` only for small images (CPU bound)."""
    if width * height <= PNG_OPTIMIZE_MAX_PIXELS:
        return {"optimize": True}
    return {"compress_level": 6}


def _zlib_header(data) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0


def _unescape(raw: bytes) -> bytes:
    return _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _text_filters(content: bytes, at: int) -> list[bytes]:
    """The leading ASCII85 / ASCIIHex filters declared by the stream dictionary ending at ``at``."""
    start = content.rfind(b"obj", max(0, at - 4096), at)
    found = list(_PDF_FILTER.finditer(_unescape(content[max(0, at - 4096) if start < 0 else start:at])))
    if not found:
        return []
    if found[-1].group(1).endswith(b"R"):  # the filter list elsewhere (an indirect object): unread
        raise _refuse("upload_pdf_uncheckable", _UNCHECKABLE_MESSAGE)
    names = re.findall(rb"/([A-Za-z0-9]+)", found[-1].group(1))
    lead = []
    for name in names:
        if name not in _PDF_TEXT_FILTERS:
            break
        lead.append(name)
    return lead


def _text_decode(name: bytes, data) -> bytes:
    try:
        if _PDF_TEXT_FILTERS[name] == b"~>":
            return base64.a85decode(bytes(data).removeprefix(b"<~"), adobe=False, ignorechars=b" \t\n\r\v\f\x00")
        digits = re.sub(rb"\s", b"", bytes(data))
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))  # an odd last digit: 0 follows
    except ValueError:
        raise _refuse("upload_pdf_uncheckable", _UNCHECKABLE_MESSAGE) from None


def _pdf_chunks(content: bytes):
    """The raw file, then each stream decoded: its leading ASCII85 / ASCIIHex filters, then Flate
    again while the result is itself Flate data (``/Filter [/FlateDecode /FlateDecode]``). The
    bytes decoded and searched are bounded in total."""
    yield content
    budget = MAX_PDF_INFLATE
    view = memoryview(content)  # slicing a view copies nothing (a file full of "stream" stays cheap)
    for match in _PDF_STREAM.finditer(content):
        data: bytes | memoryview = view[match.end():match.end() + MAX_BYTES]
        for n, name in enumerate(_text_filters(content, match.start())):
            # the first decodes straight from the file (found in place, no copy), later ones their
            # input (bytes by then: bytes() of bytes is the same object)
            source, offset = (content, match.end()) if n == 0 else (bytes(data), 0)
            end = source.find(_PDF_TEXT_FILTERS[name], offset, offset + min(MAX_BYTES, budget))
            budget -= (end - offset) if end >= 0 else min(MAX_BYTES, budget)
            if end < 0 or budget <= 0:
                raise _refuse("upload_pdf_uncheckable", _UNCHECKABLE_MESSAGE)
            data = _text_decode(name, source[offset:end])
            yield data
        for depth in range(MAX_PDF_NESTING + 1):
            if not _zlib_header(data):
                break
            if depth == MAX_PDF_NESTING:
                raise _refuse("upload_pdf_uncheckable", _UNCHECKABLE_MESSAGE)
            try:
                data = zlib.decompressobj().decompress(data, budget)
            except zlib.error:
                break
            budget -= len(data)
            yield data
            if budget <= 0:
                raise _refuse("upload_corrupt", "PDF文件内容异常（压缩数据过大），请重新导出后上传。")


_UNCHECKABLE_MESSAGE = "PDF文件经过加密或特殊编码，无法检查其内容。请使用“打印为PDF”重新生成后上传。"


def check_pdf(content: bytes) -> None:
    if b"%%EOF" not in content[-2048:]:
        raise _refuse("upload_corrupt", "PDF文件不完整或已损坏，请重新导出后上传。")
    for chunk in _pdf_chunks(content):
        plain = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), chunk)
        if _PDF_UNCHECKABLE.search(plain):
            raise _refuse("upload_pdf_uncheckable", _UNCHECKABLE_MESSAGE)
        if _PDF_ACTIVE.search(plain):
            raise _refuse("upload_pdf_active_content",
                          "PDF文件含有脚本、自动动作或附件，不能作为证明材料。请使用“打印为PDF”重新生成后上传。")


def inspect(content: bytes, filename: str | None = None, declared_type: str | None = None) -> tuple[str, bytes]:
    """(media type, bytes to keep) of an acceptable file; refuses everything else (see module doc)."""
    if not content:
        raise _refuse("upload_empty", "文件是空的，请重新选择。")
    if len(content) > MAX_BYTES:
        raise _refuse("upload_too_large", "单个文件不能超过10MB。")
    media_type = sniff(content)
    if media_type is None:
        raise _refuse("upload_type_unsupported", "只能上传PDF、JPG或PNG文件。")
    if any(claim != media_type for claim in _declared(filename, declared_type)):
        raise _refuse("upload_type_mismatch", f"文件的实际类型（{_LABELS[media_type]}）与文件名或声明的类型不符，请检查后重新上传。")
    if media_type == PDF:
        check_pdf(content)
        return media_type, content
    kept = _reencode(content, media_type)
    if len(kept) > MAX_BYTES:
        raise _refuse("upload_too_large", "图片处理后超过10MB，请缩小后重新上传。")
    return media_type, kept


def store_upload(session: Session, actor: Actor, *, content: bytes, filename: str | None = None,
                 declared_type: str | None = None) -> Upload:
    """Check one evidence file and keep it for the caller (an account) to cite in an objection."""
    if not actor.is_account:
        raise Forbidden("account_required", "请在小程序中上传材料。")
    pending = session.execute(select(func.count()).select_from(Upload).where(
        Upload.account_id == actor.id, Upload.attached_to.is_(None))).scalar_one()
    if pending >= MAX_PENDING:
        raise Conflict("uploads_pending_limit",
                       f"您已有{pending}份尚未提交的材料，请先在异议申请中提交，再上传新的材料。")
    media_type, kept = inspect(content, filename, declared_type)
    upload = Upload(account_id=actor.id, media_type=media_type, size=len(kept),
                    sha256=hashlib.sha256(kept).hexdigest(), content=kept)
    session.add(upload)
    session.flush()
    audit(session, actor, "upload.create", "upload", upload.id, media_type=media_type, size=upload.size)
    return upload


def claim_uploads(session: Session, actor: Actor, upload_ids: list[int], target: str,
                  field: str = "evidence_upload_ids") -> list[Upload]:
    """Attach the caller's own, not yet used uploads to ``target`` ("objection:12"). Someone else's
    or a used one: 422 ``upload_invalid`` (ids reveal nothing), the message under ``field`` (the
    caller's form field)."""
    ids = list(dict.fromkeys(upload_ids))
    if len(ids) > MAX_PER_OBJECTION:
        raise ValidationFailed("too_many_files", f"证明材料最多{MAX_PER_OBJECTION}个文件。",
                               errors={field: [f"最多{MAX_PER_OBJECTION}个文件。"]})
    if not ids:
        return []
    rows = list(session.execute(
        select(Upload).where(Upload.id.in_(ids), Upload.account_id == actor.id, Upload.attached_to.is_(None))
        .with_for_update()
    ).scalars())
    if len(rows) != len(ids):
        msg = "有材料不存在、不是您上传的或已被使用，请重新上传。"
        raise ValidationFailed("upload_invalid", msg, errors={field: [msg]})
    for row in rows:
        row.attached_to = target
    session.flush()
    return sorted(rows, key=lambda r: ids.index(r.id))


def get_upload(session: Session, upload_id: int) -> Upload:
    upload = session.get(Upload, upload_id)
    if upload is None:
        raise NotFound("upload_not_found", "没有找到该材料。")
    return upload
