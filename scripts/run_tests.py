"""Check the code's shape, then run the suite once per available backend and say which backends it covered.

First, once: the import contracts (``lint-imports``, configured in pyproject.toml: domain modules
import no Flask, HTTP layer or WeChat SDK; the platform imports no context) and mypy (the platform,
``backend/common`` and every context's ``services.py``). Either failing fails the run before the
suite starts. ``--no-checks`` skips them (a focused run while you work).

SQLite always runs. PostgreSQL (``TEST_PG_URL``, default 127.0.0.1:5432/test) and Redis
(``TEST_REDIS_URL``, default 127.0.0.1:6379/15) run when they answer — under CI (``CI`` set) they
must answer, or the run fails; the two runs go in parallel. Extra arguments are passed to pytest (``make test ARGS=...`` is not needed:
``.venv/bin/python scripts/run_tests.py -k card``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _pg_ready() -> bool:
    if not _answers("127.0.0.1", 5432):
        return False
    try:
        import psycopg

        psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
        return True
    except Exception as exc:
        print(f"PostgreSQL answers but {PG_URL} is not usable: {exc}", file=sys.stderr)
        return False


def _bin(name: str) -> str:
    """A console script of the interpreter's environment (``.venv/bin/lint-imports``)."""
    return str(Path(sys.executable).with_name(name))


# (name, command, the line of its output worth keeping on success)
CHECKS = [
    ("import contracts", [_bin("lint-imports"), "--no-cache"], "Contracts:"),
    ("mypy", [sys.executable, "-m", "mypy"], "Success:"),
]


def run_checks() -> bool:
    """The static checks, one line each when they pass, everything they said when they do not."""
    ok = True
    for name, cmd, summary in CHECKS:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        if proc.returncode == 0:
            kept = next((line for line in lines if line.startswith(summary)), lines[-1] if lines else "ok")
            print(f"===== {name}: {kept.strip()}")
        else:
            print(f"===== {name}: FAILED")
            print("\n".join(lines))
            ok = False
    return ok


def main(argv: list[str]) -> int:
    if "--no-checks" in argv:
        argv = [a for a in argv if a != "--no-checks"]
    elif not run_checks():
        print("FAILED: the static checks (the suite did not run)")
        return 1
    runs: list[tuple[str, dict[str, str]]] = [("sqlite + in-process store", {"TEST_DATABASE_URL": "", "TEST_REDIS_URL": ""})]
    if _pg_ready() and _answers("127.0.0.1", 6379):
        runs.append(("postgresql + redis", {"TEST_DATABASE_URL": PG_URL, "TEST_REDIS_URL": REDIS_URL}))
    elif os.environ.get("CI"):
        # The tests marked needs_postgres / needs_redis (tests/backends.py) must run somewhere: in CI, here.
        print("FAILED: CI needs PostgreSQL and Redis on 127.0.0.1 (.ci/run starts them); the suite did not run")
        return 1
    else:
        print("PostgreSQL or Redis not reachable on 127.0.0.1: running on SQLite only.")
    procs = []
    for name, extra in runs:
        env = dict(os.environ, **extra, PYTHONHASHSEED="0")
        out = tempfile.TemporaryFile(mode="w+")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *argv]
        procs.append((name, subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT), out))
    failed = []
    for name, proc, out in procs:
        code = proc.wait()
        out.seek(0)
        text = out.read()
        print(f"===== backend: {name} =====")
        # Quiet on success: the summary line only. On failure: everything pytest said.
        print(text if code not in (0,) else text.strip().splitlines()[-1])
        if code != 0:
            failed.append(name)
    covered = ", ".join(name for name, _, _ in procs)
    print(f"backends covered: {covered}")
    if failed:
        print(f"FAILED on: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
