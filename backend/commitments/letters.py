"""The commitment letter (承诺书): template placeholders, rendering, the content hash, and the PDF.

A template is plain text with placeholders in braces, e.g. ``本单位{主体名称}（统一社会信用代码
{主体代码}）郑重承诺……``. Unknown placeholders are refused when the template is saved; a placeholder
the signer's data cannot fill (a person has no 法定代表人, an approval number was not given) is refused
when the letter is previewed or signed (``template_placeholder_unfilled``), never left blank.

The signed text is stored as rendered; ``content_hash`` is the SHA-256 of its UTF-8 bytes, so a text
changed afterwards in the database no longer matches and verifies as altered.

The PDF embeds a TrueType CJK font (reportlab's built-in CID fonts are not embedded and show blanks
on many machines). The ``LETTER_FONT_PATH`` setting (``backend.platform.config``) names it; by default Debian's fonts-wqy-microhei
(``make fonts`` installs it).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from backend.common.text import field_error
from backend.platform.errors import ServiceUnavailable

PLACEHOLDERS = {
    "主体名称": "subject_name",
    "主体代码": "subject_code",
    "法定代表人": "legal_rep",
    "承诺事项": "matter",
    "实施部门": "department",
    "签署日期": "signed_on",
    "承诺期限": "valid_until",
    "审批事项": "approval_matter",
    "审批文号": "approval_no",
}
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
DEFAULT_FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",)
CHINA = ZoneInfo("Asia/Shanghai")


def check_template(body: str) -> None:
    """Refuse a template with an unknown or unbalanced placeholder (422 ``template_placeholder_unknown``)."""
    for name in _PLACEHOLDER_RE.findall(body):
        if name not in PLACEHOLDERS:
            known = "、".join("{" + p + "}" for p in PLACEHOLDERS)
            raise field_error("template", "template_placeholder_unknown",
                              f"承诺书样式中的“{{{name}}}”不是可用的占位符；可用：{known}。")
    if "{" in _PLACEHOLDER_RE.sub("", body) or "}" in _PLACEHOLDER_RE.sub("", body):
        raise field_error("template", "template_brace_unbalanced", "承诺书样式中的花括号不成对，请检查。")


def chinese_date(day: date | None) -> str | None:
    return f"{day.year}年{day.month}月{day.day}日" if day else None


def render_letter(body: str, data: Mapping[str, str | None]) -> str:
    """The template with every placeholder filled from ``data`` (keys of :data:`PLACEHOLDERS`'s values).
    422 ``template_placeholder_unfilled`` naming the first placeholder without a value."""
    missing = [name for name in _PLACEHOLDER_RE.findall(body) if not data.get(PLACEHOLDERS[name])]
    if missing:
        hint = "（请填写审批文号）" if missing[0] in ("审批文号", "审批事项") else ""
        raise field_error("template", "template_placeholder_unfilled",
                          f"承诺书中的“{missing[0]}”无法用您的信息填写{hint}，暂不能签署该事项。")
    return _PLACEHOLDER_RE.sub(lambda m: str(data[PLACEHOLDERS[m.group(1)]]), body)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_verify_code() -> str:
    """A code for the verification link: 128 random bits, URL-safe, not guessable from an id."""
    return secrets.token_urlsafe(16)


def font_path(configured: str | None = None) -> str:
    """The configured font file (``LETTER_FONT_PATH``) if it exists, else the first default found."""
    for path in (configured, *DEFAULT_FONT_PATHS):
        if path and os.path.exists(path):
            return path
    raise ServiceUnavailable("letter_font_missing",
                             "服务器缺少中文字体，暂时无法生成承诺书PDF，请联系管理员（make fonts）。")


_registered: set[str] = set()


def _font(path: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = "LetterCJK"
    if path not in _registered:  # reportlab keeps a process-wide registry of fonts
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(name, path))
        _registered.add(path)
    return name


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` no wider than ``width``: Chinese wraps at any character."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    for para in text.splitlines() or [""]:
        line = ""
        for ch in para:
            if line and stringWidth(line + ch, font, size) > width:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    return lines


def letter_pdf(*, title: str, text: str, facts: list[tuple[str, str]], verify_url: str,
               font_file: str | None = None) -> bytes:
    """The letter as an A4 PDF: title, the signed text, the facts (signer, date, hash …), a QR code
    opening ``verify_url``. Chinese in the embedded TrueType font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from backend.cards.qr import qr_png

    font = _font(font_path(font_file))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    width, height = A4
    margin = 20 * mm
    y = height - margin

    def line(s: str, size: float, gap: float) -> None:
        nonlocal y
        if y < margin + 45 * mm:
            pdf.showPage()
            y = height - margin
        pdf.setFont(font, size)
        pdf.drawString(margin, y, s)
        y -= gap

    pdf.setFont(font, 18)
    pdf.drawCentredString(width / 2, y, title)
    y -= 14 * mm
    for s in _wrap(text, font, 12, width - 2 * margin):
        line(s, 12, 7 * mm)
    y -= 6 * mm
    for label, value in facts:
        for s in _wrap(f"{label}：{value}", font, 9, width - 2 * margin - 40 * mm):
            line(s, 9, 5 * mm)
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(verify_url))), width - margin - 35 * mm, margin, 35 * mm, 35 * mm)
    pdf.setFont(font, 8)
    pdf.drawString(margin, margin, "扫描二维码核验本承诺书真伪")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def signed_at_text(moment: datetime) -> str:
    local = moment.astimezone(CHINA) if moment.tzinfo else moment
    return local.strftime("%Y-%m-%d %H:%M")
