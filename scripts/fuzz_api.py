"""Fuzz the whole HTTP API in-process and report every 5xx and every malformed error body.

Usage (from the repository root)::

    .venv/bin/python scripts/fuzz_api.py                      # SQLite temp file, ~2-4 minutes
    .venv/bin/python scripts/fuzz_api.py --examples 10 --budget 60
    .venv/bin/python scripts/fuzz_api.py --only /staff/v1/records --examples 200
    .venv/bin/python scripts/fuzz_api.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fuzz \
        --redis-url redis://127.0.0.1:6379/3                  # WIPES that database's public schema

Needs schemathesis (a dev tool, not in requirements: ``.venv/bin/pip install schemathesis``).
It builds the schema with the real migrations, loads the demo district (``backend.demo.seed``),
logs in as the demo mini-program account (``dev:demo``) and as every demo staff role, then lets
schemathesis generate valid (positive) and invalid (negative) requests from ``/openapi.json`` for
every operation, with each identity that can reach it. A finding is a 5xx, or a 4xx JSON body
without the error shape ``{code, status, message, reason, errors}`` / a Chinese ``message``.
Exit status 1 when anything was found; each finding prints a reproducible curl command and, for
500s, the server-side traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import re
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ERROR_KEYS = {"code", "status", "message", "reason", "errors"}
# Requests that would log the fuzzer itself out are sent, but its tokens are renewed afterwards.
MINIAPP_CODE = "dev:demo"


@dataclass
class Finding:
    operation: str
    status: int
    problem: str
    curl: str
    server_trace: str = ""


@dataclass
class Report:
    findings: dict[tuple, Finding] = field(default_factory=dict)
    cases: int = 0
    operations: int = 0
    skipped: list[str] = field(default_factory=list)

    def add(self, key: tuple, finding: Finding) -> None:
        self.findings.setdefault(key, finding)


class TraceCollector(logging.Handler):
    """Keeps the traceback of the last "unhandled error" the app logged (backend.platform.errors)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.last = "".join(traceback.format_exception(*record.exc_info))


def build_app(database_url: str, redis_url: str):
    from backend.app import create_app
    from backend.platform.config import Config
    from backend.platform.db import make_engine
    from backend.platform.migrate import upgrade

    if database_url.startswith("postgresql"):
        from sqlalchemy import text

        eng = make_engine(database_url)
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        eng.dispose()
    upgrade(database_url)
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    cfg = Config(
        ENV="development", TESTING=True, SECRET_KEY="fuzz-secret-key-0123456789abcdef0123456789",
        DATABASE_URL=database_url, REDIS_URL=redis_url,
        PII_KEYS={"f1": bytes(range(32))}, PII_ACTIVE_KEY="f1", PII_INDEX_KEY=b"x" * 32,
        RATELIMIT_ENABLED=False, JOBS_INLINE=True,
    )
    return create_app(cfg)


def seed(app) -> list:
    from backend.demo.seed import DEMO_STAFF, seed_demo
    from backend.http.extensions import get_database

    with app.app_context():
        session = get_database().new_session()
        seed_demo(session, env="development")
        session.commit()
        session.close()
    return list(DEMO_STAFF)


class Identities:
    """Bearer tokens for the demo account and every demo staff user, renewed when revoked."""

    def __init__(self, app, staff_specs) -> None:
        self.app, self.client = app, app.test_client()
        self.staff_specs = {s.role: s for s in staff_specs}
        self.tokens: dict[str, str] = {}
        self.refresh()

    def refresh(self) -> None:
        self._reactivate_staff()
        resp = self.client.post("/miniapp/v1/auth/login", json={"code": MINIAPP_CODE})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        self.tokens["account"] = resp.json["access_token"]
        for role, spec in self.staff_specs.items():
            resp = self.client.post("/staff/v1/auth/login", json={"username": spec.username, "password": spec.password})
            assert resp.status_code == 200, (spec.username, resp.get_data(as_text=True))
            self.tokens[f"staff:{role}"] = resp.json["token"]

    def still_valid(self) -> bool:
        if self.client.get("/miniapp/v1/me", headers=self.header("account")).status_code != 200:
            return False
        return all(self.client.get("/staff/v1/auth/me", headers=self.header(k)).status_code == 200
                   for k in self.tokens if k.startswith("staff:"))

    def header(self, who: str | None) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def for_path(self, path: str) -> list[str | None]:
        if path.startswith("/miniapp/"):
            return ["account", None]
        if path.startswith("/staff/"):
            return [k for k in self.tokens if k.startswith("staff:")] + [None]
        return [None]

    def _reactivate_staff(self) -> None:
        # A fuzzed "deactivate" or password change may have hit a demo user: put them back.
        from sqlalchemy import select

        from backend.http.extensions import get_database
        from backend.staff.models import StaffUser
        from backend.staff.services import password_hasher

        with self.app.app_context():
            session = get_database().new_session()
            for spec in self.staff_specs.values():
                user = session.execute(select(StaffUser).where(StaffUser.username == spec.username)).scalar_one()
                user.active, user.failed_logins, user.locked_until = True, 0, None
                try:
                    password_hasher.verify(user.password_hash, spec.password)
                except Exception:  # argon2 raises on a mismatch
                    user.password_hash = password_hasher.hash(spec.password)
            session.commit()
            session.close()


def check_response(resp) -> str | None:
    """What is wrong with this response, or None."""
    shaped_refusal = resp.status_code == 503  # e.g. wechat_not_configured: deliberate, shaped like a 4xx
    if resp.status_code >= 500 and not shaped_refusal:
        return f"server error {resp.status_code}"
    if 400 <= resp.status_code < 500 or shaped_refusal:
        content_type = " ".join(resp.headers.get("content-type") or [])
        if "json" not in content_type:
            return f"{resp.status_code} without a JSON error body ({content_type or 'no content type'})"
        body = json.loads(resp.content)
        if not isinstance(body, dict) or set(body) != ERROR_KEYS:
            return f"{resp.status_code} body is not the error shape: {str(body)[:200]}"
        if not body.get("reason") or not CHINESE.search(str(body.get("message") or "")):
            return f"{resp.status_code} error without reason or Chinese message: {str(body)[:200]}"
    return None


def fuzz(app, identities: Identities, args, report: Report, collector: TraceCollector) -> None:
    import schemathesis

    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    modes = [schemathesis.GenerationMode(m) for m in args.modes.split(",")]
    deadline = time.monotonic() + args.budget
    for result in schema.get_all_operations():
        try:
            op = result.ok()
        except Exception:  # an operation schemathesis cannot read: say so, go on
            report.skipped.append(str(result.err())[:200])
            continue
        if args.only and args.only not in op.path:
            continue
        report.operations += 1
        for mode in modes:
            for who in identities.for_path(op.path):
                if time.monotonic() > deadline:
                    report.skipped.append(f"{op.label} [{mode.value}, {who}]: time budget spent")
                    continue
                run_examples(op, mode, who, identities.header(who), args, report, collector)
                if not identities.still_valid():
                    identities.refresh()


def run_examples(op, mode, who, headers, args, report: Report, collector: TraceCollector) -> None:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable

    @settings(max_examples=args.examples, deadline=None, database=None, derandomize=args.derandomize,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case):
        report.cases += 1
        collector.last = ""
        try:
            resp = case.call(headers=headers or None)
        except Exception as exc:  # the transport itself failed: the app raised through WSGI
            problem, status, trace = f"exception {type(exc).__name__}: {exc}"[:300], 500, traceback.format_exc()
        else:
            problem, status, trace = check_response(resp), resp.status_code, collector.last
        if problem:
            key = (op.label, status, problem.split(":")[0], trace.strip().splitlines()[-1] if trace else "")
            try:
                curl = case.as_curl_command(headers=headers or None)
            except Exception:
                curl = repr(case)
            report.add(key, Finding(f"{op.label} [{mode.value}, {who or 'anonymous'}]", status, problem, curl, trace))

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Hypothesis's "@seed(…)" notes for Unsatisfiable
            run()
    except Unsatisfiable:
        report.skipped.append(f"{op.label} [{mode.value}, {who or 'anonymous'}]: no valid example could be generated")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("FUZZ_DATABASE_URL", ""),
                   help="default: a new SQLite file; a PostgreSQL URL's public schema is WIPED")
    p.add_argument("--redis-url", default=os.environ.get("FUZZ_REDIS_URL", ""), help="default: in-process store")
    p.add_argument("--examples", type=int, default=40, help="examples per operation, mode and identity")
    p.add_argument("--budget", type=float, default=240, help="seconds of fuzzing before the rest is skipped")
    p.add_argument("--modes", default="positive,negative")
    p.add_argument("--only", default="", help="only operations whose path contains this")
    p.add_argument("--derandomize", action="store_true", help="same examples on every run")
    args = p.parse_args(argv)

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    collector = TraceCollector()
    logging.getLogger("backend.platform.errors").addHandler(collector)
    logging.getLogger("backend.platform.errors").propagate = False  # the traces are in the report

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/fuzz.sqlite3"
        app = build_app(url, args.redis_url)
        identities = Identities(app, seed(app))
        report = Report()
        started = time.monotonic()
        fuzz(app, identities, args, report, collector)
        took = time.monotonic() - started

    for f in report.findings.values():
        print(f"\n=== {f.operation} → {f.status}: {f.problem}\n{f.curl}")
        if f.server_trace:
            print(f.server_trace.rstrip())
    for s in report.skipped:
        print(f"skipped: {s}")
    print(f"\n{report.operations} operations, {report.cases} requests in {took:.0f} s: "
          f"{len(report.findings)} distinct problem(s).")
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
