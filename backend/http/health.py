"""Liveness and readiness for load balancers, and the API docs page's own assets."""

from __future__ import annotations

from flask import Blueprint, jsonify, send_from_directory
from sqlalchemy import text

from backend.http.extensions import get_database, get_store

blp = Blueprint("health", __name__)


@blp.get("/docs/assets/<path:filename>")
def docs_assets(filename: str):
    """Swagger UI's files for ``/docs``, served locally (no CDN on a government intranet)."""
    from swagger_ui_bundle import swagger_ui_path

    return send_from_directory(swagger_ui_path, filename, max_age=86400)


@blp.get("/healthz")
def healthz():
    """The process is up (no dependency checked)."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    """Ready to serve: the database answers, and Redis when configured."""
    checks: dict[str, str] = {}
    ok = True
    try:
        with get_database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, do not raise: this endpoint is the report
        checks["database"] = f"error: {type(exc).__name__}"
        ok = False
    try:
        get_store().ping()
        from flask import current_app

        checks["redis"] = "ok" if current_app.config.get("REDIS_URL") else "not configured (in-process)"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
        ok = False
    return jsonify(status="ok" if ok else "unavailable", checks=checks), (200 if ok else 503)
