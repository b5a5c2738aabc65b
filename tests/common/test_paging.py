"""Every list of the APIs is paged one way (``backend/common/paging.py``), as its OpenAPI spec shows:
bounded ``?page=&per_page=`` in, ``{items, total, page, per_page}`` out, embedded objects as schemas."""

from __future__ import annotations

import pytest

from backend.staff.models import Role
from tests.factories import make_staff, staff_headers


@pytest.fixture
def staff(app, db):
    user = make_staff(db, Role.CREDIT_ADMIN)
    db.commit()
    return staff_headers(app, user)


def _resolve(spec: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def _paged_operations(spec: dict):
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if method == "parameters":  # path parameters, shared by the path's operations
                continue
            params = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
            if "page" in params or "page_size" in params:
                yield f"{method.upper()} {path}", op, params


def test_every_paged_list_takes_bounded_page_and_per_page_and_answers_one_envelope(client):
    spec = client.get("/openapi.json").json
    paged = list(_paged_operations(spec))
    assert {name for name, _, _ in paged} >= {"GET /staff/v1/records", "GET /staff/v1/lists",
                                              "GET /staff/v1/commitments", "GET /staff/v1/agencies",
                                              "GET /public/v1/lists/{list_type}"}
    for name, op, params in paged:
        assert "page_size" not in params, name
        assert params["page"]["schema"]["maximum"] == 100_000, name
        assert params["per_page"]["schema"]["maximum"] == 100, name
        ok = op["responses"]["200"]
        assert "X-Pagination" not in ok.get("headers", {}), name
        body = _resolve(spec, ok["content"]["application/json"]["schema"])
        assert set(body["properties"]) == {"items", "total", "page", "per_page"}, name


def test_embedded_subjects_and_departments_are_schemas_in_the_spec(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    for name in ("RecordOut", "ListEntryOut", "CommitmentOut"):
        props = schemas[name]["properties"]
        assert props["subject"] == {"$ref": "#/components/schemas/SubjectOut"}, name
        assert props["department"] == {"$ref": "#/components/schemas/DepartmentOut"}, name


def test_the_agency_queue_is_paged_like_every_other_list(client, staff):
    resp = client.get("/staff/v1/agencies?status=all&page=1&per_page=5", headers=staff)
    assert resp.status_code == 200, resp.json
    assert set(resp.json) == {"items", "total", "page", "per_page"}
    assert (resp.json["page"], resp.json["per_page"]) == (1, 5)
    assert client.get("/staff/v1/agencies?page=100001", headers=staff).status_code == 422
