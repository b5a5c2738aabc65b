"""Speed benchmark of ``GET /miniapp/v1/me/card`` (信用名片) at scale, on PostgreSQL and Redis.

1. Data: a dedicated database (default ``bench_card``) with ``--persons`` persons (default 1,000,000),
   N/8 firms and ~4 records per subject from the scale loader (``backend.demo.scale.load_scale``,
   COPY), plus mini-program accounts bound to every ``--account-every``-th person. Loaded once;
   later runs reuse it. If the evaluations are not stored yet, the nightly set-based recompute runs
   once first, as it would have in production.
2. Latency: the real app under gunicorn with the production settings (``gunicorn.conf.py``: gthread,
   2 workers per core, 4 threads, access log; worker recycling off), cache flushed first, a realistic
   mix of cold (first look at a card: assembled from PostgreSQL) and warm (the card version from
   PostgreSQL, one primary-key lookup, and the cached card from Redis) requests. The server-side time is the ``X-Server-Time`` header (see ``backend/http/server_timing.py``):
   p50 / p90 / p99 / max per class and overall. Target: p99 ≤ 15 ms.
3. Throughput: ``wrk`` (``apt-get install wrk``; a slower Python keep-alive client when it is
   absent) against the same gunicorn settings serving (a) me/card for warmed accounts, through
   Flask like every request, and (b) a bare Flask app returning ``{"ok": true}``. With wrk, each of
   ``--rounds`` rounds loads both servers at the same time (one wrk each, same connections and
   seconds), so they share the machine's good and bad moments; the result is the median of the
   rounds' ratios. Target: ≥ 50 %. The server CPU per request of each is printed too (what the
   machine's other tenants cannot move).

A benchmark reports, it does not fail: each target is printed as "target met" / "target NOT met".

Traffic goes only to 127.0.0.1; every phase is bounded in requests and seconds.

    .venv/bin/python bench/card.py                      # 1 M persons (first run loads them)
    .venv/bin/python bench/card.py --persons 20000 --latency-requests 2000 --duration 5   # quick
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef0123456789"

# The bare baseline, served by the same gunicorn settings: ``gunicorn bench.card:bare_app``.
bare_app = Flask("bare")


@bare_app.get("/ok")
def _ok():
    return {"ok": True}


# --- setup ------------------------------------------------------------------------------------


def env_for(db_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(APP_ENV="development", SECRET_KEY=SECRET, DATABASE_URL=db_url, REDIS_URL=redis_url,
               JOBS_INLINE="1", PYTHONPATH=str(ROOT),
               # As in production: the rate limiter is on (reads must not pay for it).
               RATELIMIT_ENABLED="1")
    env.pop("SQL_ECHO", None)
    return env


def prepare(args) -> list[int]:
    """Migrate, load the scale data if missing, bind accounts; return the benchmark account ids."""
    import sqlalchemy as sa

    ensure_database(args.database_url)
    os.environ.update(env_for(args.database_url, args.redis_url))
    from backend.app import create_app
    from backend.http.extensions import get_session
    from backend.platform.migrate import upgrade

    upgrade(args.database_url)
    app = create_app()
    with app.app_context():
        session = get_session()
        have = session.execute(sa.text("SELECT count(*) FROM persons")).scalar()
        if have < args.persons:
            from backend.demo.scale import load_scale

            print(f"loading {args.persons - have:,} persons (have {have:,}) …", flush=True)
            report = load_scale(session, args.persons - have, progress=lambda m: print("  ", m, flush=True))
            session.commit()
            print(json.dumps(report.as_dict(), ensure_ascii=False))
        evaluated = session.execute(sa.text("SELECT count(*) FROM evaluations")).scalar()
        subjects = session.execute(sa.text("SELECT count(*) FROM subjects")).scalar()
        if evaluated < subjects * 0.99:
            # As in production, where the nightly `flask credit recompute` has stored everyone's
            # evaluation: a first look at a card then reads it rather than scoring from scratch.
            from backend.evaluation.batch import recompute_everything

            print(f"nightly recompute of {subjects:,} subjects (stored: {evaluated:,}) …", flush=True)
            report = recompute_everything(session)
            session.commit()
            print(f"  {report.total:,} subjects in {report.seconds:.1f} s")
        made = session.execute(sa.text(
            "INSERT INTO accounts (openid, person_id, identity_level, disabled, created_at) "
            "SELECT 'bench-' || p.id, p.id, 'self_declared', false, now() FROM persons p "
            "WHERE p.id % :every = 0 ON CONFLICT (openid) DO NOTHING"), {"every": args.account_every}).rowcount
        session.commit()
        if made:
            print(f"bound {made:,} accounts")
        ids = list(session.execute(sa.text("SELECT id FROM accounts WHERE openid LIKE 'bench-%' ORDER BY id")).scalars())
        counts = session.execute(sa.text(
            "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM firms), (SELECT count(*) FROM credit_records), "
            "(SELECT count(*) FROM list_entries), (SELECT count(*) FROM evaluations)")).one()
        print("data: persons {:,}, firms {:,}, records {:,}, list entries {:,}, evaluations stored {:,}".format(*counts))
    return ids


def tokens_for(database_url: str, account_ids: list[int]) -> dict[int, str]:
    """One login session per account (as a login starts it) and its access token."""
    import sqlalchemy as sa

    from backend.common.tokens import ACCOUNT_TOKEN, sign
    from backend.platform.db import make_engine

    engine = make_engine(database_url)
    with engine.begin() as conn:
        rows = conn.execute(sa.text(
            "INSERT INTO auth_sessions (account_id, device, created_at, expires_at) "
            "SELECT a, 'bench', now(), now() + interval '1 day' FROM unnest(CAST(:ids AS integer[])) AS a "
            "RETURNING id, account_id"), {"ids": list(account_ids)}).all()
    engine.dispose()
    return {a: sign(SECRET, ACCOUNT_TOKEN, {"a": a, "sid": sid}) for sid, a in rows}


def flush_cache(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


# --- gunicorn -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the production settings (``gunicorn.conf.py``: gthread, access log …), on a free
    port, with ``workers`` × ``threads``. Both servers of a run get exactly the same settings.

    Worker recycling (``max_requests``) is off: a recycled worker re-imports its app and starts with
    cold caches, which would measure start-up (and our app's import is heavier than the bare one's),
    not serving. The access log goes to /dev/null: written, not kept.
    """

    def __init__(self, target: str, env: dict, workers: int, threads: int) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-w", str(workers),
             "--threads", str(threads), "--keep-alive", "30", "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", target],
            cwd=ROOT, env=dict(env, GUNICORN_MAX_REQUESTS="0"), stdout=subprocess.DEVNULL, stderr=self.log,
        )
        deadline = time.monotonic() + 60
        path = "/ok" if "bare" in target else "/healthz"
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        self.log.seek(0)
        raise RuntimeError(f"gunicorn {target} did not start:\n{self.log.read().decode(errors='replace')[-2000:]}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by gunicorn's master and its workers, from /proc."""
        ticks = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            if int(entry) == self.proc.pid or int(fields[1]) == self.proc.pid:  # fields[1]: the parent pid
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- latency phase ------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def latency_phase(port: int, tokens: dict[int, str], args) -> dict:
    """``--latency-requests`` requests from 2 keep-alive clients; ``--cold-share`` of them first looks."""
    rng = random.Random(7)
    ids = list(tokens)
    rng.shuffle(ids)
    fresh = iter(ids)
    seen: list[int] = []
    plan: list[tuple[int, str]] = []
    for _ in range(args.latency_requests):
        if not seen or rng.random() < args.cold_share:
            a = next(fresh)
            seen.append(a)
            plan.append((a, "cold"))
        else:
            # Returning users: a skewed pick (recent and frequent users come back more).
            plan.append((seen[min(len(seen) - 1, int(rng.paretovariate(1.2)) - 1)] if rng.random() < 0.5
                         else rng.choice(seen), "warm"))
    results: dict[str, list[float]] = {"cold": [], "warm": []}
    client_ms: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    cursor = iter(range(len(plan)))
    stop_at = time.monotonic() + args.max_seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop_at:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            account, kind = plan[i]
            t0 = time.perf_counter()
            conn.request("GET", "/miniapp/v1/me/card", headers={"Authorization": f"Bearer {tokens[account]}"})
            resp = conn.getresponse()
            resp.read()
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                if resp.status != 200:
                    errors.append(resp.status)
                    continue
                results[kind].append(float(resp.headers["X-Server-Time"]))
                client_ms.append(dt)

    threads = [threading.Thread(target=worker) for _ in range(args.latency_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    allv = results["cold"] + results["warm"]
    summary = {k: _stats(v) for k, v in (("cold", results["cold"]), ("warm", results["warm"]), ("all", allv))}
    summary["client_all"] = _stats(client_ms)
    summary["errors"] = len(errors)
    return summary


def _stats(v: list[float]) -> dict:
    return {"n": len(v), "p50": pct(v, 50), "p90": pct(v, 90), "p99": pct(v, 99), "max": max(v) if v else None,
            "mean": statistics.fmean(v) if v else None}


# --- throughput phase ---------------------------------------------------------------------------


def _wrk_cmd(port: int, path: str, tokens: list[str], args, duration: int) -> tuple[list[str], str | None]:
    script = None
    cmd = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{duration}s", "--latency"]
    if tokens:
        fd, script = tempfile.mkstemp(suffix=".lua")
        with os.fdopen(fd, "w") as f:
            # Requests are formatted once, up front: wrk shares the CPUs with the server, and
            # formatting each request in Lua would be charged to me/card but not to the bare app.
            f.write("local tokens = {" + ",".join(f'"{t}"' for t in tokens) + "}\n")
            f.write("local reqs = {}\nfor k, t in ipairs(tokens) do\n"
                    f'  reqs[k] = wrk.format("GET", "{path}", {{["Authorization"] = "Bearer " .. t}})\nend\n'
                    "local i = 0\nrequest = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n")
        cmd += ["-s", script]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    return cmd, script


def _wrk_rps(out: str) -> float:
    rps = next(float(line.split()[1]) for line in out.splitlines() if line.startswith("Requests/sec"))
    bad = [line for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    if bad:
        print("   wrk:", "; ".join(b.strip() for b in bad))
    return rps


def wrk_together(targets: dict[str, tuple[int, str, list[str]]], args, duration: int) -> dict[str, float]:
    """One wrk per server, all started at the same instant and running for the same seconds: every
    server meets the same machine (its other tenants, its clock speed) at the same time."""
    started = {}
    try:
        for name, (port, path, tokens) in targets.items():
            cmd, script = _wrk_cmd(port, path, tokens, args, duration)
            started[name] = (subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True), script)
        return {name: _wrk_rps(proc.communicate(timeout=duration + 30)[0]) for name, (proc, _) in started.items()}
    finally:
        for proc, script in started.values():
            if proc.poll() is None:
                proc.kill()
            if script:
                os.unlink(script)


def wrk_run(port: int, path: str, tokens: list[str], args) -> float:
    return wrk_together({"one": (port, path, tokens)}, args, args.duration)["one"]


def python_run(port: int, path: str, tokens: list[str], args) -> float:
    done = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + args.duration

    def worker(k: int):
        nonlocal done
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n, i = 0, k
        while time.monotonic() < stop_at:
            headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"} if tokens else {}
            conn.request("GET", path, headers=headers)
            conn.getresponse().read()
            n, i = n + 1, i + 1
        with lock:
            done += n

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.connections)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done / (time.monotonic() - t0)


def _print_round(r: int, runs: dict[str, list[float]]) -> None:
    card, bare = runs["me/card"][-1], runs["bare"][-1]
    print(f"  round {r + 1:2d}: me/card {card:6.0f} req/s   bare {bare:6.0f} req/s   ratio {card / bare:.0%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_card")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--account-every", type=int, default=10, help="bind an account to every k-th person")
    ap.add_argument("--latency-requests", type=int, default=6000)
    ap.add_argument("--latency-clients", type=int, default=2)
    ap.add_argument("--cold-share", type=float, default=0.2, help="share of requests that are a first look")
    ap.add_argument("--max-seconds", type=float, default=180, help="bound on the latency phase")
    ap.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                    help="gunicorn workers (default: gunicorn.conf.py's production default, 2 per core)")
    ap.add_argument("--threads", type=int, default=4, help="gthread threads per worker (production default 4)")
    ap.add_argument("--duration", type=int, default=3, help="seconds per throughput round")
    ap.add_argument("--rounds", type=int, default=12, help="throughput rounds (median of the rounds' ratios)")
    ap.add_argument("--warmup", type=int, default=90,
                    help="at most this many seconds of load on each server before the rounds (less once warm)")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--wrk-threads", type=int, default=1)
    ap.add_argument("--hot-accounts", type=int, default=2000, help="warmed accounts used in the throughput run")
    ap.add_argument("--prepare-only", action="store_true", help="load the data and stop")
    args = ap.parse_args()

    account_ids = prepare(args)
    if args.prepare_only:
        return
    need = int(args.latency_requests * args.cold_share * 1.5) + args.hot_accounts + 10
    if len(account_ids) < need:
        sys.exit(f"only {len(account_ids)} accounts; lower --account-every")
    rng = random.Random(11)
    sample = rng.sample(account_ids, need)
    tokens = tokens_for(args.database_url, sample)
    env = env_for(args.database_url, args.redis_url)
    flush_cache(args.redis_url)
    client = "wrk" if shutil.which("wrk") else "python"
    run = wrk_run if client == "wrk" else python_run

    print(f"\nme/card latency: {args.latency_requests} requests, {args.latency_clients} clients, "
          f"{args.cold_share:.0%} first looks (cold), gunicorn {args.workers} workers × {args.threads} threads")
    server = Server("wsgi:app", env, args.workers, args.threads)
    bare = None
    try:
        lat = latency_phase(server.port, tokens, args)
        for k in ("cold", "warm", "all"):
            s = lat[k]
            print(f"  server {k:4s} n={s['n']:5d}  p50 {s['p50']:6.2f} ms  p90 {s['p90']:6.2f} ms  "
                  f"p99 {s['p99']:6.2f} ms  max {s['max']:7.2f} ms")
        c = lat["client_all"]
        print(f"  client all  n={c['n']:5d}  p50 {c['p50']:6.2f} ms  p99 {c['p99']:6.2f} ms   errors {lat['errors']}")

        hot = sample[-args.hot_accounts:]
        hot_tokens = [tokens[a] for a in hot]
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for t in hot_tokens:  # warm the throughput set
            conn.request("GET", "/miniapp/v1/me/card", headers={"Authorization": f"Bearer {t}"})
            conn.getresponse().read()
        bare = Server("bench.card:bare_app", env, args.workers, args.threads)
        names = ["me/card", "bare"]
        targets = {
            "me/card": (server.port, "/miniapp/v1/me/card", hot_tokens),
            "bare": (bare.port, "/ok", []),
        }
        # Steady state, not warm-up: load every server alike first, until each has answered every hot
        # account several times per worker (pools, imports and the account cache filled), bounded by --warmup.
        warm = argparse.Namespace(**dict(vars(args), duration=2))
        need = 4 * args.workers * len(hot_tokens)
        for port, path, toks in targets.values():
            done, deadline = 0.0, time.monotonic() + args.warmup
            while done < need and time.monotonic() < deadline:
                done += run(port, path, toks, warm) * warm.duration
        runs: dict[str, list[float]] = {k: [] for k in targets}
        cpu_ms: dict[str, list[float]] = {k: [] for k in targets}  # server CPU per request, by round
        servers = {"me/card": server, "bare": bare}
        if client == "wrk":
            # The servers side by side: in each round one wrk per server, started together, so all of them
            # share the machine at the same moments. Run one after another, as this benchmark first did,
            # this machine's speed drifted by 2-5x between adjacent 2-second runs (other tenants), and a
            # ratio compared one server's good seconds with another's bad ones.
            print(f"\nthroughput (wrk, {args.connections} connections per server, {args.rounds} rounds of {args.duration} s, "
                  f"both servers loaded at the same time, same gunicorn settings)")
            for r in range(args.rounds):
                before = {name: servers[name].cpu_seconds() for name in names}
                got = wrk_together(targets, args, args.duration)
                for name in names:
                    runs[name].append(got[name])
                    cpu_ms[name].append(1000 * (servers[name].cpu_seconds() - before[name])
                                        / max(1.0, got[name] * args.duration))
                _print_round(r, runs)
        else:
            print(f"\nthroughput (python client, {args.connections} connections, {args.rounds} rounds of "
                  f"{args.duration} s per server, one after another in rotating order)")
            for r in range(args.rounds):
                for name in names[r % 2:] + names[:r % 2]:
                    before_cpu = servers[name].cpu_seconds()
                    runs[name].append(run(*targets[name], args))
                    cpu_ms[name].append(1000 * (servers[name].cpu_seconds() - before_cpu)
                                        / max(1.0, runs[name][-1] * args.duration))
                _print_round(r, runs)
    finally:
        for srv in (server, bare):
            if srv is not None:
                srv.stop()
    card_runs, bare_runs = runs["me/card"], runs["bare"]
    card_rps, bare_rps = statistics.median(card_runs), statistics.median(bare_runs)
    ratio = statistics.median(c / b for c, b in zip(card_runs, bare_runs, strict=True))  # paired rounds
    p99 = lat["all"]["p99"]
    print(f"\nsummary (load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores)")
    print(f"  me/card server time: p50 {lat['all']['p50']:.2f} ms, p99 {p99:.2f} ms "
          f"(warm p50 {lat['warm']['p50']:.2f} ms, cold p50 {lat['cold']['p50']:.2f} ms)")
    print(f"  p99 ≤ 15 ms: {'target met' if p99 <= 15 else 'target NOT met'}")
    print(f"  throughput (medians): me/card (warm, {len(hot_tokens)} accounts) {card_rps:.0f} req/s, "
          f"bare Flask {{\"ok\": true}} {bare_rps:.0f} req/s")
    print(f"  ratio (median of the rounds' ratios) {ratio:.0%} ≥ 50 %: "
          f"{'target met' if ratio >= 0.5 else 'target NOT met'}")
    if cpu_ms["bare"]:
        # What the machine's other tenants cannot move: CPU seconds each server spent per answered request.
        # On a CPU-bound server, throughput with the machine to itself is the inverse of this.
        card_cpu, bare_cpu = (statistics.median(cpu_ms[k]) for k in ("me/card", "bare"))
        print(f"  server CPU per request (medians): me/card {card_cpu:.3f} ms, bare {bare_cpu:.3f} ms "
              f"-> capacity ratio {bare_cpu / card_cpu:.0%}")


if __name__ == "__main__":
    main()
