"""Entry module for a bare RQ worker: ``rq worker -c backend.worker credit``.

RQ imports this settings module before it starts; building the app here registers the job runtime
(session factory and queue, :func:`backend.platform.jobs.configure`) that every job runs with, and
hands RQ the app's Redis. ``flask jobs worker`` needs none of this: its app is already built.
"""

from __future__ import annotations

from backend.app import create_app

app = create_app()
REDIS_URL = app.config.get("REDIS_URL")
QUEUES = ["credit"]
