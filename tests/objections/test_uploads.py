"""Evidence uploads: type from the content, size limits, metadata dropped, active PDFs and bombs refused."""

from __future__ import annotations

import io
import time
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from backend.uploads.models import Upload
from tests.factories.cards import bound_account, headers
from tests.queues.helpers import jpeg_bytes, pdf_bytes, png_bytes

URL = "/miniapp/v1/uploads"


@pytest.fixture
def h(app, db):
    account, _ = bound_account(db)
    db.flush()
    return headers(app, account)


def _send(client, h, content: bytes, name: str, mimetype: str | None = None):
    data = {"file": (io.BytesIO(content), name, mimetype) if mimetype else (io.BytesIO(content), name)}
    return client.post(URL, data=data, headers=h, content_type="multipart/form-data")


def _count(db) -> int:
    return db.execute(select(func.count()).select_from(Upload)).scalar_one()


def test_images_are_re_encoded_without_their_metadata(client, db, h):
    for content, name, media in ((png_bytes(), "证据.png", "image/png"), (jpeg_bytes(), "photo.JPG", "image/jpeg")):
        assert b"TestCam" in content
        resp = _send(client, h, content, name)
        assert resp.status_code == 201, resp.json
        assert resp.json["media_type"] == media
        kept = db.get(Upload, resp.json["id"]).content
        assert b"TestCam" not in kept
        with Image.open(io.BytesIO(kept)) as img:
            assert not img.getexif()  # no EXIF at all: no camera, time or GPS position
            assert img.size in ((8, 8), (16, 16))


def test_a_plain_pdf_is_kept_as_sent(client, db, h):
    resp = _send(client, h, pdf_bytes(), "决定书.pdf", "application/pdf")
    assert resp.status_code == 201 and resp.json["media_type"] == "application/pdf"
    assert db.get(Upload, resp.json["id"]).content == pdf_bytes()


BOMB = Image.MAX_IMAGE_PIXELS


def _huge_png() -> bytes:
    # A tiny file that decodes to more pixels than Pillow's limit: a decompression bomb.
    side = int(BOMB ** 0.5) + 200
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("content,name,mimetype,reason", [
    (b"", "empty.png", None, "upload_empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024), "big.png", None, "upload_too_large"),
    (b"PK\x03\x04zipzipzip", "evidence.zip", None, "upload_type_unsupported"),
    (b"GIF89a......", "x.gif", None, "upload_type_unsupported"),
    (pdf_bytes(), "scan.png", None, "upload_type_mismatch"),  # a PDF calling itself a PNG
    (png_bytes(), "photo.png", "application/pdf", "upload_type_mismatch"),
    (b"\xff\xd8\xff\xe0broken-jpeg", "broken.jpg", None, "upload_corrupt"),
    (pdf_bytes(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "), "js.pdf", None, "upload_pdf_active_content"),
    (pdf_bytes(b"/AA << /O 3 0 R >> /N#61mes << /J#61v#61Script 4 0 R >> "), "hidden.pdf", None,
     "upload_pdf_active_content"),
    (b"%PDF-1.4\n1 0 obj<</Length 9/Filter/FlateDecode>>stream\n" + zlib.compress(b"/JavaScript (x)")
     + b"\nendstream endobj\ntrailer<<>>\n%%EOF", "stream.pdf", None, "upload_pdf_active_content"),
    (b"%PDF-1.4\n1 0 obj << >> endobj\n", "cut.pdf", None, "upload_corrupt"),
])
def test_bad_files_are_refused_with_a_reason_and_nothing_is_stored(client, db, h, content, name, mimetype, reason):
    resp = _send(client, h, content, name, mimetype)
    assert resp.status_code == 422, resp.json
    assert resp.json["reason"] == reason and resp.json["message"]
    assert _count(db) == 0


def test_a_decompression_bomb_is_refused(client, db, h):
    resp = _send(client, h, _huge_png(), "bomb.png")
    assert resp.status_code == 422 and resp.json["reason"] == "upload_image_too_large"
    assert _count(db) == 0


def test_a_fifty_page_pdf_with_javascript_is_refused(client, db, h):
    pages = b"".join(b"%d 0 obj << /Type /Page >> endobj\n" % n for n in range(3, 53))
    content = pdf_bytes(b"/Names << /JavaScript 60 0 R >> ").replace(b"trailer", pages + b"trailer")
    resp = _send(client, h, content, "fifty.pdf")
    assert resp.status_code == 422 and resp.json["reason"] == "upload_pdf_active_content"


def test_upload_needs_a_login_and_a_file(client, h):
    assert client.post(URL, data={}, content_type="multipart/form-data").status_code == 401
    missing = client.post(URL, data={}, headers=h, content_type="multipart/form-data")
    assert missing.status_code == 422
    wrong_type = client.post(URL, json={"file": "x"}, headers=h)
    assert wrong_type.status_code == 415


def _hex_objstm_pdf() -> bytes:
    hidden = b"3 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj"
    return (b"%PDF-1.5\n1 0 obj<</Type/ObjStm/N 1/First 4/Filter/ASCIIHexDecode>>stream\n" + hidden.hex().encode()
            + b">\nendstream endobj\ntrailer<</Root 3 0 R>>\n%%EOF")


@pytest.mark.parametrize("content", [
    # the catalogue's /OpenAction inside a stream compressed twice (/Filter [/FlateDecode /FlateDecode])
    b"%PDF-1.5\n1 0 obj<</Type/ObjStm/Filter[/FlateDecode/FlateDecode]>>stream\n"
    + zlib.compress(zlib.compress(b"<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"))
    + b"\nendstream endobj\ntrailer<<>>\n%%EOF",
    # the same inside an object stream in hex (the scan cannot read it: refused, not let through)
    _hex_objstm_pdf(),
    # encrypted streams cannot be scanned either
    pdf_bytes(b"/Encrypt 9 0 R "),
], ids=["double-flate", "ascii-hex-objstm", "encrypted"])
def test_a_pdf_hiding_active_content_from_the_scan_is_refused(client, db, h, content):
    resp = _send(client, h, content, "hidden.pdf")
    assert resp.status_code == 422, resp.json
    assert resp.json["reason"] in ("upload_pdf_active_content", "upload_pdf_uncheckable") and resp.json["message"]
    assert _count(db) == 0


def test_a_pdf_full_of_stream_keywords_is_checked_quickly(client, db, h):
    # ~1 MB of "stream" keywords: each one must not copy the rest of the file (that took minutes).
    content = b"%PDF-1.4\n" + b"stream\n" * 150_000 + pdf_bytes()[9:]
    started = time.monotonic()
    resp = _send(client, h, content, "many.pdf")
    assert time.monotonic() - started < 10
    assert resp.status_code == 201, resp.json


def test_an_account_cannot_pile_up_unused_uploads(client, db, h):
    from backend.uploads.services import MAX_PENDING

    for _ in range(MAX_PENDING):
        assert _send(client, h, pdf_bytes(), "a.pdf").status_code == 201
    more = _send(client, h, pdf_bytes(), "a.pdf")
    assert more.status_code == 409 and more.json["reason"] == "uploads_pending_limit" and more.json["message"]
    assert _count(db) == MAX_PENDING
    db.execute(update(Upload).values(attached_to="objection:1"))  # cited in an objection: room again
    assert _send(client, h, pdf_bytes(), "a.pdf").status_code == 201


def test_ascii85_streams_are_read_not_refused(client, db, h):
    import base64

    hidden = zlib.compress(b"<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>")
    active = (b"%PDF-1.5\n1 0 obj<</Type/ObjStm/Filter[/ASCII85Decode/FlateDecode]>>stream\n"
              + base64.a85encode(hidden, wrapcol=60) + b"~>\nendstream endobj\ntrailer<<>>\n%%EOF")
    resp = _send(client, h, active, "a85.pdf")
    assert resp.status_code == 422 and resp.json["reason"] == "upload_pdf_active_content"
    from backend.commitments.letters import letter_pdf

    # a commitment letter of our own (reportlab writes ASCII85 streams) is accepted as evidence
    letter = letter_pdf(title="信用承诺书", text="本人承诺所报情况真实。", facts=[("承诺主体", "淮安区某公司")],
                        verify_url="https://example.invalid/v/abc")
    assert _send(client, h, letter, "承诺书.pdf").status_code == 201


def _png(width: int, height: int, mode: str = "1") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, "PNG")
    return out.getvalue()


def test_an_image_above_the_pixel_bound_is_refused_before_it_is_decoded(client, db, h):
    from backend.uploads.services import MAX_PIXELS

    # 60 megapixels: below Pillow's own bomb limit (89 M), above ours; a few kB on the wire.
    content = _png(10_000, 6_000)
    assert 6_000 * 10_000 > MAX_PIXELS and len(content) < 100_000
    started = time.perf_counter()
    resp = _send(client, h, content, "scan.png")
    assert resp.status_code == 422 and resp.json["reason"] == "upload_image_too_large"
    assert "像素过多" in resp.json["message"]
    assert time.perf_counter() - started < 5  # refused from the header, not after decoding 60 M pixels
    assert _count(db) == 0


def test_a_large_png_is_kept_without_the_costly_optimize_pass(client, db, h):
    from backend.uploads.services import PNG_OPTIMIZE_MAX_PIXELS, png_save_options

    assert png_save_options(1920, 1040) == {"optimize": True}  # a screenshot: smallest file
    assert "optimize" not in png_save_options(4000, 3000)  # a 12 MP scan: zlib's default level
    assert 4000 * 3000 > PNG_OPTIMIZE_MAX_PIXELS >= 1920 * 1040
    resp = _send(client, h, _png(4000, 3000, "L"), "扫描件.png")
    assert resp.status_code == 201, resp.json
    with Image.open(io.BytesIO(db.get(Upload, resp.json["id"]).content)) as img:
        assert img.size == (4000, 3000)
