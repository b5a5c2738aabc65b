"""Arrange queue and objection tests: departments, reviewers, records through the records service."""

from __future__ import annotations

import io
import itertools

from PIL import Image

from backend.common.actor import Actor
from backend.records.services import submit_record
from backend.staff.models import Role
from tests.factories import make_department, make_staff, seeded_department

_seq = itertools.count(1)
KINDS = ["admin_penalty", "admin_license", "admin_inspection", "admin_reward"]


def actor_of(user) -> Actor:
    return Actor("staff", user.id, role=str(user.role), department_id=user.department_id)


def records_department(db, short_name: str = "区市场监管局（测试）"):
    return make_department(db, record_kinds=KINDS, short_name=short_name)


def reviewer(db, dept, **fields):
    return make_staff(db, Role.DEPT_REVIEWER, dept, **fields)


def credit_admin(db):
    """A credit-office administrator of the seeded 信用办 (FGW), where acceptance is routed."""
    return make_staff(db, Role.CREDIT_ADMIN, seeded_department(db, "FGW"))


def penalty(db, user, subject_code: str, **over):
    n = next(_seq)
    row = {"subject_code": subject_code, "kind": "admin_penalty", "severity": "general",
           "decision_no": f"淮区测罚〔2026〕{n}号", "decision_date": "2026-11-02", "title": "未按规定公示年度报告",
           "summary": "罚款一千元", "legal_basis": "《企业信息公示暂行条例》第十八条", "amount_yuan": "1000"}
    row.update(over)
    return submit_record(db, actor_of(user), row)


def png_bytes(size=(8, 8), exif: bool = True) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    info = {}
    if exif:
        ex = Image.Exif()
        ex[0x010F] = "TestCam"  # Make
        ex[0x0132] = "2026:12:01 10:00:00"  # DateTime
        info["exif"] = ex.tobytes()
    img.save(out, "PNG", **info)
    return out.getvalue()


def jpeg_bytes(exif: bool = True) -> bytes:
    img = Image.new("RGB", (16, 16), (10, 120, 10))
    out = io.BytesIO()
    ex = Image.Exif()
    ex[0x010F] = "TestCam"
    ex[0x8825] = {2: (31.0, 0.0, 0.0)}  # GPS latitude
    img.save(out, "JPEG", exif=ex.tobytes() if exif else b"")
    return out.getvalue()


def pdf_bytes(extra: bytes = b"") -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R " + extra + b">> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
