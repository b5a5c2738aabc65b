"""An uploaded evidence or proof file as an HTTP response (staff API downloads, console viewing)."""

from __future__ import annotations

from flask import Response, current_app

from backend.uploads.models import Upload

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def upload_response(upload: Upload, name: str, *, inline: bool = False) -> Response:
    """The file with its stored (checked) type, never sniffed, never cached; ``name`` prefixes the
    file name (``evidence`` → ``evidence-12.pdf``); ``inline`` to open it in the browser."""
    response = current_app.response_class(upload.content, mimetype=upload.media_type)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="{name}-{upload.id}.{EXTENSIONS.get(upload.media_type, "bin")}"')
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
