"""QR codes of share links, from the ``qrcode`` package: PNG (via Pillow) and SVG."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M


def _qr(url: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    return qr


def qr_png(url: str) -> bytes:
    buf = io.BytesIO()
    _qr(url).make_image().save(buf, format="PNG")
    return buf.getvalue()


def qr_png_base64(url: str) -> str:
    return base64.b64encode(qr_png(url)).decode()


def qr_svg(url: str) -> str:
    buf = io.BytesIO()
    _qr(url).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buf)
    return buf.getvalue().decode()
