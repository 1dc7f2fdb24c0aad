#!/usr/bin/env python3
"""Intake benchmark: how many `POST /api/v1/requests` per second dsar files under gunicorn.

What it measures
    The full intake path of one data-subject request as an API client sees it: HTTP
    parsing by gunicorn, token authentication, marshmallow validation, routing, the
    clocks (holiday calendars), the INSERTs of the request, its identities and its three
    hash-chained audit events, the COMMIT (fsync'd by PostgreSQL), and the JSON answer.
    Every answer other than 201 counts as an error (the first error body is printed).

    1. sequential: one client, one connection reused while the server keeps it open
       (keep-alive). gunicorn's sync workers answer `Connection: close`, so the client
       then reconnects for every request; the report says which happened and how many
       TCP connections were opened. ~200 warm-up requests are not counted.
       -> requests/s, p50/p95/p99/max latency (ms), errors.
    2. concurrent: C clients (separate processes by default, so the client's GIL does
       not cap the figures; `--client threads` to compare), the same total number of
       requests, started together after their own warm-up.
       -> requests/s, p50/p95/p99 latency (ms), errors.
    3. floor (skip with `--no-floor`): sequential `GET /` on the same kind of connection:
       what gunicorn + Flask cost without the database, i.e. the best the HTTP stack allows.
    For each phase it also reads, from /proc, the CPU time spent by the gunicorn
    workers, by the PostgreSQL backends of the bench database and by the client, per
    request: on a small machine all three share the same cores.

    Optionally (`--profile N`) it then runs the app in-process (Flask test_client, same
    PostgreSQL database, same token and body), reports wall/CPU ms per request, the SQL
    statements and pool checkouts one request costs, the CPU time grouped by library,
    and the top functions by cumulative time from cProfile.

How it runs (everything on 127.0.0.1; everything it starts, it stops)
    creates a fresh PostgreSQL database `dsar_bench_<random>`, runs `dsar db upgrade`,
    `dsar register sync` (DSAR_CONFIG, or the demo register) and mints a token; for each
    server configuration it starts gunicorn on a free loopback port, waits for /healthz,
    runs the phases `--repeat` times, stops gunicorn; finally it stops gunicorn and drops
    the database (unless `--keep-db`), also on errors and on Ctrl-C/SIGTERM. Every loop
    is bounded in count and in time (`--max-seconds` per phase, `--time-limit` overall).

Usage (from the project root)
    .venv/bin/python bench/intake.py                       # sync workers, defaults below
    .venv/bin/python bench/intake.py --requests 2000 --concurrency 8 --workers 3
    .venv/bin/python bench/intake.py --worker-class gthread --workers 2 --threads 4
    .venv/bin/python bench/intake.py --server sync:2 --server sync:3 --server gthread:2x4 --repeat 3
    .venv/bin/python bench/intake.py --principal operator  # operator token, names the controller
    .venv/bin/python bench/intake.py --profile 500         # + in-process cProfile of one request
    .venv/bin/python bench/intake.py --json > result.json  # machine-readable result on stdout

Requires PostgreSQL reachable on loopback with a role that may CREATE DATABASE (the
default is postgres@127.0.0.1:5432, trust auth) and the project's virtualenv (gunicorn,
psycopg). Standard library only otherwise.
"""
from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import math
import multiprocessing
import os
import platform
import pstats
import queue
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ENDPOINT = "/api/v1/requests"
TARGET_SEQUENTIAL_RPS = 400.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Interrupted(Exception):
    """SIGTERM received: unwind through the finally blocks like Ctrl-C does."""


def _on_sigterm(signum, frame):
    raise Interrupted(f"signal {signum}")


# --------------------------------------------------------------------------- setup

def bin_dir() -> Path:
    """The virtualenv's bin folder: the running interpreter's, else the project's .venv."""
    here = Path(sys.executable).parent
    return here if (here / "gunicorn").exists() else ROOT / ".venv" / "bin"


def admin_connect(args):
    import psycopg

    return psycopg.connect(host=args.pg_host, port=args.pg_port, user=args.pg_user, dbname="postgres",
                           autocommit=True, connect_timeout=10)


def database_url(args, name: str) -> str:
    host = f"[{args.pg_host}]" if ":" in args.pg_host else args.pg_host
    return f"postgresql+psycopg://{args.pg_user}@{host}:{args.pg_port}/{name}"


def run_cli(env: dict, *argv: str, timeout: float = 180) -> str:
    """Run `dsar ...`; return stdout; raise with its output when it fails."""
    command = [str(bin_dir() / "dsar"), *argv]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def mint_token(env: dict, principal: str) -> str:
    if principal == "operator":
        argv = ("tokens", "create", "--role", "operator_agent", "--label", "bench-operator")
    else:
        argv = ("tokens", "create", "--role", "bot", "--controller", "cabinet-martin", "--label", "bench")
    lines = [line.strip() for line in run_cli(env, *argv).splitlines() if line.strip().startswith("dsar_")]
    if not lines:
        raise RuntimeError("`dsar tokens create` printed no token")
    return lines[-1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerSpec:
    worker_class: str  # sync | gthread
    workers: int
    threads: int = 1

    @property
    def label(self) -> str:
        return f"{self.worker_class} -w {self.workers}" + (f" --threads {self.threads}" if self.worker_class == "gthread" else "")

    @classmethod
    def parse(cls, text: str) -> ServerSpec:
        """'sync:3' or 'gthread:2x4' (workers x threads)."""
        kind, _, rest = text.partition(":")
        if kind not in ("sync", "gthread") or not rest:
            raise argparse.ArgumentTypeError(f"--server {text!r}: expected sync:W or gthread:WxT")
        workers, _, threads = rest.partition("x")
        try:
            spec = cls(kind, int(workers), int(threads) if threads else (4 if kind == "gthread" else 1))
        except ValueError:
            raise argparse.ArgumentTypeError(f"--server {text!r}: W and T must be integers") from None
        if not (1 <= spec.workers <= 64 and 1 <= spec.threads <= 64):
            raise argparse.ArgumentTypeError(f"--server {text!r}: 1..64 workers and threads")
        return spec


class Gunicorn:
    """One gunicorn master started by us (own session), stopped by its pid."""

    def __init__(self, spec: ServerSpec, env: dict, logdir: Path):
        self.spec, self.env, self.logdir = spec, env, logdir
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.logfile: Path | None = None

    def command(self, port: int) -> list[str]:
        gunicorn = str(bin_dir() / "gunicorn")
        cmd = [gunicorn, "-w", str(self.spec.workers), "-b", f"127.0.0.1:{port}",
               "--worker-class", self.spec.worker_class, "--log-level", "warning",
               "--timeout", "60", "--graceful-timeout", "5"]
        if self.spec.worker_class == "gthread":
            cmd += ["--threads", str(self.spec.threads)]
        if _gunicorn_has_control_socket():
            cmd.append("--no-control-socket")  # gunicorn >= 27: don't take over ~/.gunicorn/gunicorn.ctl
        return cmd + ["wsgi:app"]

    def start(self, deadline: float) -> None:
        for attempt in range(3):  # a port taken between free_port() and bind: try another
            self.port = free_port()
            self.logfile = self.logdir / f"gunicorn-{self.port}.log"
            with open(self.logfile, "wb") as out:
                self.proc = subprocess.Popen(self.command(self.port), cwd=ROOT, env=self.env, stdout=out,
                                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
            if self._wait_healthy(min(deadline, time.monotonic() + 45)):
                return
            self.stop()
            log(f"gunicorn did not come up on port {self.port} (attempt {attempt + 1}):\n{self.log_tail()}")
        raise RuntimeError("gunicorn did not start")

    def _wait_healthy(self, deadline: float) -> bool:
        for _ in range(600):  # bounded: 600 x 0.1 s at most, and the deadline
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return False
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status == 200:
                    self.health = json.loads(body)
                    return True
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.1)
        return False

    def worker_pids(self) -> list[int]:
        return children_of(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, AttributeError):
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: the group id is its pid
                proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


_CONTROL_SOCKET: bool | None = None


def _gunicorn_has_control_socket() -> bool:
    global _CONTROL_SOCKET
    if _CONTROL_SOCKET is None:
        try:
            out = subprocess.run([str(bin_dir() / "gunicorn"), "--help"], capture_output=True, text=True, timeout=30)
            _CONTROL_SOCKET = "--no-control-socket" in out.stdout
        except (OSError, subprocess.TimeoutExpired):
            _CONTROL_SOCKET = False
    return _CONTROL_SOCKET


# ------------------------------------------------------------------ CPU accounting

def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of a process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def children_of(parent: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st and st[0] == parent:
                pids.append(int(entry))
    return pids


def cpu_snapshot(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        st = _stat(pid)
        if st:
            out[pid] = st[1]
    return out


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two snapshots (a process new in `after` counts whole)."""
    return sum(max(0.0, t - before.get(pid, 0.0)) for pid, t in after.items())


def postgres_backends(args, dbname: str) -> list[int]:
    try:
        with admin_connect(args) as conn:
            return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (dbname,))]
    except Exception:  # CPU accounting is a bonus; never fail the run for it
        return []


# ------------------------------------------------------------------------- client

def make_body(principal: str, worker: int, i: int) -> bytes:
    body = {
        "rights": ["access", "portability"],
        "identities": [{"type": "email", "value": f"user{worker}x{i}@mail.example"},
                       {"type": "name", "value": "Ana Garcia"}],
        "details": "Please send me my data.",
        "identity_verified": True,
    }
    if principal == "operator":
        body = {"controller": "cabinet-martin", **body}
    return json.dumps(body).encode()


class Client:
    """One HTTP/1.1 client connection, reused while the server keeps it open.

    A response with `Connection: close` (gunicorn sync workers) closes it and the next
    request opens a new one. A request that fails on a *reused* connection before any
    response arrived (the server closed an idle keep-alive connection) is retried once on
    a fresh one; the server never saw it, so nothing is filed twice.
    """

    def __init__(self, port: int, token: str, timeout: float):
        self.port, self.timeout = port, timeout
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}
        self.conn: http.client.HTTPConnection | None = None
        self.connects = self.kept_alive = self.retries = 0

    def _open(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = conn
        self.connects += 1

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def post(self, body: bytes | None, method: str = "POST", path: str = ENDPOINT) -> tuple[int, bytes]:
        for attempt in range(2):
            reused = self.conn is not None
            if not reused:
                self._open()
            try:
                self.conn.request(method, path, body=body, headers=self.headers)
                response = self.conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.BadStatusLine):
                self.close()
                if reused and attempt == 0:
                    self.retries += 1
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            else:
                self.kept_alive += 1
            return response.status, data
        raise AssertionError("unreachable")


@dataclass
class RunResult:
    latencies: list[float] = field(default_factory=list)  # seconds, measured requests only
    errors: int = 0
    first_error: str | None = None
    started: float = 0.0   # time.monotonic(), comparable across processes on Linux
    finished: float = 0.0
    connects: int = 0
    kept_alive: int = 0
    retries: int = 0
    client_cpu: float = 0.0
    truncated: bool = False


def run_requests(client: Client, principal: str, worker: int, first: int, count: int, deadline: float,
                 result: RunResult | None, floor: bool = False, stop=None) -> None:
    """Send `count` requests (bounded by `deadline`); record them in `result` unless warm-up.

    `floor`: GET / instead (no database, no token check): what gunicorn + Flask cost alone.
    """
    expected = 200 if floor else 201
    consecutive_failures = 0
    for i in range(first, first + count):
        if time.monotonic() > deadline or (stop is not None and stop.is_set()):
            if result is not None:
                result.truncated = True
            return
        body = None if floor else make_body(principal, worker, i)
        t0 = time.perf_counter()
        try:
            status, data = client.post(body, "GET", "/") if floor else client.post(body)
            error = None if status == expected else f"HTTP {status}: {data[:1000].decode(errors='replace')}"
        except (OSError, http.client.HTTPException) as exc:
            error = f"{exc.__class__.__name__}: {exc}"
        elapsed = time.perf_counter() - t0
        consecutive_failures = consecutive_failures + 1 if error else 0
        if result is not None:
            result.latencies.append(elapsed)
            if error:
                result.errors += 1
                result.first_error = result.first_error or error
        if consecutive_failures >= 50:  # the server is gone: stop hammering it
            if result is not None:
                result.truncated = True
                result.first_error = result.first_error or error
            return


def client_worker(worker: int, port: int, token: str, principal: str, warmup: int, count: int,
                  barrier, results, stop, deadline: float, timeout: float, in_process: bool) -> None:
    """One concurrent client: warm up, wait for the others, send `count` requests, report."""
    if not in_process:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    result = RunResult()
    client = Client(port, token, timeout)
    try:
        run_requests(client, principal, worker, 0, warmup, deadline, None, stop=stop)
        client.connects, client.kept_alive, client.retries = int(client.conn is not None), 0, 0
        barrier.wait(timeout=max(1.0, min(120.0, deadline - time.monotonic())))
        cpu0 = time.process_time() if not in_process else 0.0
        result.started = time.monotonic()
        run_requests(client, principal, worker, warmup, count, deadline, result, stop=stop)
        result.finished = time.monotonic()
        result.client_cpu = time.process_time() - cpu0 if not in_process else 0.0
        result.connects, result.kept_alive, result.retries = client.connects, client.kept_alive, client.retries
    except threading.BrokenBarrierError:
        result.first_error = "start barrier broken (another client failed)"
    except KeyboardInterrupt:
        return
    except Exception as exc:  # reported, never lost
        result.first_error = result.first_error or f"client crashed: {exc.__class__.__name__}: {exc}"
        barrier.abort()  # don't leave the others (and the parent) waiting for the start
    finally:
        client.close()
    results.put((worker, asdict(result)))


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of already-sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(phase: str, results: list[RunResult], cpu: dict) -> dict:
    latencies = sorted(x for r in results for x in r.latencies)
    started = min((r.started for r in results if r.latencies), default=0.0)
    finished = max((r.finished for r in results if r.latencies), default=0.0)
    elapsed = max(finished - started, 1e-9)
    n = len(latencies)
    errors = sum(r.errors for r in results)
    ms = lambda v: None if v is None else round(v * 1000, 2)  # noqa: E731
    out = {
        "phase": phase,
        "requests": n,
        "errors": errors,
        "first_error": next((r.first_error for r in results if r.first_error), None),
        "seconds": round(elapsed, 3),
        "rps": round(n / elapsed, 1) if n else 0.0,
        "p50_ms": ms(percentile(latencies, 50)),
        "p95_ms": ms(percentile(latencies, 95)),
        "p99_ms": ms(percentile(latencies, 99)),
        "max_ms": ms(latencies[-1] if latencies else None),
        "mean_ms": ms(statistics.fmean(latencies) if latencies else None),
        "connections_opened": sum(r.connects for r in results),
        "keep_alive_reuses": sum(r.kept_alive for r in results),
        "reconnect_retries": sum(r.retries for r in results),
        "truncated": any(r.truncated for r in results),
    }
    out["keep_alive"] = ("yes" if out["connections_opened"] <= max(len(results), 1) * 2
                         else "no (server closed the connection after each response)"
                         if out["connections_opened"] >= n else "partly")
    if n:
        out.update({k: round(v / n * 1000, 3) for k, v in cpu.items()})  # CPU ms per request
        out["cpu_busy_pct_of_machine"] = round(100 * sum(cpu.values()) / (elapsed * (os.cpu_count() or 1)), 1)
    return out


def run_sequential(args, port: int, token: str, dbname: str, server: Gunicorn, deadline: float,
                   floor: bool = False) -> dict:
    client = Client(port, token, args.timeout)
    try:
        run_requests(client, args.principal, 0, 0, args.warmup, deadline, None, floor)
        # Connections used by the measured run: the warm-up's, when still open, counts as one.
        client.connects, client.kept_alive, client.retries = int(client.conn is not None), 0, 0
        pg_pids, gu_pids = postgres_backends(args, dbname), server.worker_pids()
        pg0, gu0, me0 = cpu_snapshot(pg_pids), cpu_snapshot(gu_pids), time.process_time()
        result = RunResult(started=time.monotonic())
        run_requests(client, args.principal, 0, args.warmup, args.requests, deadline, result, floor)
        result.finished = time.monotonic()
        me1 = time.process_time()
        pg1 = cpu_snapshot(postgres_backends(args, dbname) or pg_pids)
        gu1 = cpu_snapshot(server.worker_pids() or gu_pids)
        result.connects, result.kept_alive, result.retries = client.connects, client.kept_alive, client.retries
    finally:
        client.close()
    cpu = {"server_cpu_ms_per_req": cpu_delta(gu0, gu1), "postgres_cpu_ms_per_req": cpu_delta(pg0, pg1),
           "client_cpu_ms_per_req": me1 - me0}
    return summarize("floor: sequential GET /" if floor else "sequential", [result], cpu)


def run_floor(args, port: int, token: str, dbname: str, server: Gunicorn, deadline: float) -> dict:
    return run_sequential(args, port, token, dbname, server, deadline, floor=True)


def run_concurrent(args, port: int, token: str, dbname: str, server: Gunicorn, deadline: float) -> dict:
    c = args.concurrency
    counts = [args.requests // c + (1 if i < args.requests % c else 0) for i in range(c)]
    warm = max(1, math.ceil(args.warmup / c))
    in_process = args.client == "threads"
    if in_process:
        barrier, results, stop = threading.Barrier(c + 1), queue.Queue(), threading.Event()
        workers = [threading.Thread(target=client_worker, daemon=True,
                                    args=(i + 1, port, token, args.principal, warm, counts[i], barrier, results,
                                          stop, deadline, args.timeout, True)) for i in range(c)]
    else:
        ctx = multiprocessing.get_context("fork")
        barrier, results, stop = ctx.Barrier(c + 1), ctx.Queue(), ctx.Event()
        workers = [ctx.Process(target=client_worker, daemon=True,
                               args=(i + 1, port, token, args.principal, warm, counts[i], barrier, results,
                                     stop, deadline, args.timeout, False)) for i in range(c)]
    collected: list[RunResult] = []
    try:
        for w in workers:
            w.start()
        barrier.wait(timeout=max(1.0, min(180.0, deadline - time.monotonic())))  # all warmed up
        pg_pids, gu_pids = postgres_backends(args, dbname), server.worker_pids()
        pg0, gu0 = cpu_snapshot(pg_pids), cpu_snapshot(gu_pids)
        me0 = time.process_time()
        for _ in range(c):
            _, raw = results.get(timeout=max(1.0, deadline - time.monotonic() + 30))
            collected.append(RunResult(**raw))
        me1 = time.process_time()
        pg1 = cpu_snapshot(list(set(pg_pids) | set(postgres_backends(args, dbname))))
        gu1 = cpu_snapshot(server.worker_pids() or gu_pids)
    except BaseException:  # Ctrl-C, SIGTERM, a broken barrier, a timeout: stop the clients now
        stop.set()
        barrier.abort()
        for w in workers:
            if isinstance(w, multiprocessing.process.BaseProcess) and w.is_alive():
                w.terminate()
        raise
    finally:
        for w in workers:
            w.join(timeout=10)
        for w in workers:
            if isinstance(w, multiprocessing.process.BaseProcess) and w.is_alive():
                w.terminate()
                w.join(timeout=5)
        if not in_process:
            results.close()
            results.join_thread()
    client_cpu = sum(r.client_cpu for r in collected) + (me1 - me0 if in_process else 0.0)
    cpu = {"server_cpu_ms_per_req": cpu_delta(gu0, gu1), "postgres_cpu_ms_per_req": cpu_delta(pg0, pg1),
           "client_cpu_ms_per_req": client_cpu}
    out = summarize(f"concurrent x{c} ({args.client})", collected, cpu)
    return out


# ------------------------------------------------------------------------ profile

def _area(filename: str) -> str:
    if "site-packages/" in filename:
        top = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        return top.removesuffix(".py").split(".")[0]
    if filename.startswith(str(ROOT / "dsar")):
        return "dsar (app code)"
    if filename == "~" or filename.startswith("<"):
        return "builtins / C extensions"
    return "stdlib"


def _short(text: str) -> str:
    for prefix in (str(ROOT / ".venv") + "/lib/python3.11/site-packages/", str(ROOT) + "/",
                   os.path.dirname(os.__file__) + "/"):
        text = text.replace(prefix, "")
    return text


def run_profile(args, url: str, token: str, n: int) -> dict:
    """Profile the intake in-process: Flask test_client, same database, same body."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import event

    from dsar import create_app
    from dsar.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [make_body(args.principal, 999, i) for i in range(100 + 3 * n + 20)]
    it = iter(bodies)

    def one() -> None:
        response = client.post(ENDPOINT, data=next(it), headers=headers)
        if response.status_code != 201:
            raise RuntimeError(f"in-process request failed: {response.status_code} {response.get_data(as_text=True)[:500]}")

    for _ in range(100):
        one()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        one()
    wall, cpu = (time.perf_counter() - wall0) / n, (time.process_time() - cpu0) / n

    # What one request says to the database.
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    counts = {"checkouts": 0, "sql": 0, "sql_seconds": 0.0}
    started: list[float] = []

    def before(conn, cursor, statement, params, context, executemany):
        counts["sql"] += 1
        started.append(time.perf_counter())
        statements.append(" ".join(statement.split())[:110] + (" [executemany]" if executemany else ""))

    def after(conn, cursor, statement, params, context, executemany):
        counts["sql_seconds"] += time.perf_counter() - started.pop()

    def checkout(*_a):
        counts["checkouts"] += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "checkout", checkout)
    sample = 20
    try:
        for _ in range(sample):
            one()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        event.remove(engine, "checkout", checkout)
    per_request_sql = statements[: counts["sql"] // sample]

    # Wall-clock profile: where the time of one request goes, waiting included.
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        one()
    profiler.disable()
    total = pstats.Stats(profiler).total_tt
    # CPU-time profile: the same, without the time blocked on PostgreSQL (grouped by library).
    cpu_profiler = cProfile.Profile(time.process_time)
    cpu_profiler.enable()
    for _ in range(n):
        one()
    cpu_profiler.disable()
    cpu_stats = pstats.Stats(cpu_profiler)
    cpu_total = cpu_stats.total_tt or 1e-9
    areas: dict[str, float] = {}
    for (filename, _line, _func), (_cc, _nc, tt, _ct, _callers) in cpu_stats.stats.items():
        areas[_area(filename)] = areas.get(_area(filename), 0.0) + tt
    buf = io.StringIO()
    pstats.Stats(cpu_profiler, stream=buf).sort_stats("cumulative").print_stats(r"/dsar/", 25)
    app_cpu = _short(buf.getvalue())
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(25)
    top_cumulative = _short(buf.getvalue())
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(15)
    top_own = _short(buf.getvalue())
    with app.app_context():
        db.engine.dispose()
    return {
        "requests": n,
        "wall_ms_per_req": round(wall * 1000, 3),
        "cpu_ms_per_req": round(cpu * 1000, 3),
        "waiting_ms_per_req": round((wall - cpu) * 1000, 3),
        "ceiling_rps_one_process": round(1 / wall, 1),
        "sql_statements_per_req": counts["sql"] / sample,
        "sql_ms_per_req": round(counts["sql_seconds"] / sample * 1000, 3),
        "pool_checkouts_per_req": counts["checkouts"] / sample,
        "sql_of_one_request": per_request_sql,
        "profiled_ms_per_req": round(total / n * 1000, 3),
        "own_cpu_by_library_pct": {k: round(100 * v / cpu_total, 1) for k, v in sorted(areas.items(), key=lambda kv: -kv[1])},
        "app_functions_cpu_cumulative": app_cpu,
        "top25_cumulative": top_cumulative,
        "top15_own_time": top_own,
    }


# ------------------------------------------------------------------------- report

def environment(args) -> dict:
    try:
        with admin_connect(args) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
            sync = conn.execute("SHOW synchronous_commit").fetchone()[0]
    except Exception as exc:
        pg, sync = f"unknown ({exc.__class__.__name__})", "?"
    import importlib.metadata as md

    def version(name: str) -> str:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return "?"

    return {
        "cpu_count": os.cpu_count(), "cpu_affinity": len(os.sched_getaffinity(0)),
        "cpu_model": next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                           if line.startswith("model name")), platform.processor() or "?"),
        "loadavg_at_start": os.getloadavg(),
        "python": platform.python_version(), "postgresql": pg, "synchronous_commit": sync,
        "gunicorn": version("gunicorn"), "flask": version("flask"), "sqlalchemy": version("sqlalchemy"),
        "psycopg": version("psycopg"),
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}" if value >= 100 else f"{value:.2f}"
    return str(value)


def print_report(report: dict) -> None:
    p, env = report["parameters"], report["environment"]
    out = sys.stdout
    print("\n== dsar intake benchmark: POST /api/v1/requests ==", file=out)
    print(f"machine     : {env['cpu_count']} CPUs ({env['cpu_model']}), load avg at start "
          f"{', '.join(f'{x:.2f}' for x in env['loadavg_at_start'])}", file=out)
    print(f"software    : PostgreSQL {env['postgresql']} (synchronous_commit={env['synchronous_commit']}), "
          f"Python {env['python']}, gunicorn {env['gunicorn']}, Flask {env['flask']}, "
          f"SQLAlchemy {env['sqlalchemy']}, psycopg {env['psycopg']}", file=out)
    print(f"parameters  : N={p['requests']} measured (+{p['warmup']} warm-up), C={p['concurrency']} "
          f"{p['client']}, principal={p['principal']}, repeat={p['repeat']}, database {p['database']}", file=out)
    cols = ["server", "run", "phase", "req/s", "p50", "p95", "p99", "max", "errors", "conns", "keep-alive",
            "srv cpu", "pg cpu", "cli cpu", "busy%"]
    rows = []
    for run in report["runs"]:
        for ph in run["phases"]:
            rows.append([run["server"], str(run["repeat"]), ph["phase"], fmt(ph["rps"]), fmt(ph["p50_ms"]),
                         fmt(ph["p95_ms"]), fmt(ph["p99_ms"]), fmt(ph["max_ms"]),
                         f"{ph['errors']}/{ph['requests']}" + ("!" if ph["truncated"] else ""),
                         str(ph["connections_opened"]), ph["keep_alive"].split(" ")[0],
                         fmt(ph.get("server_cpu_ms_per_req")), fmt(ph.get("postgres_cpu_ms_per_req")),
                         fmt(ph.get("client_cpu_ms_per_req")), fmt(ph.get("cpu_busy_pct_of_machine"))])
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]
    print("\nlatencies in ms; cpu = CPU ms per request (gunicorn workers / PostgreSQL backends / client); "
          "busy% = their CPU time over the phase as a share of all cores", file=out)
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)), file=out)
    for run in report["runs"]:
        for ph in run["phases"]:
            if ph["first_error"]:
                print(f"\nfirst error ({run['server']}, run {run['repeat']}, {ph['phase']}): {ph['first_error']}", file=out)
    if report["summary"]:
        print("\nmedian over runs:", file=out)
        for s in report["summary"]:
            print(f"  {s['server']:<28} sequential {fmt(s['sequential_rps'])} req/s (p50 {fmt(s['sequential_p50_ms'])} ms)"
                  f"   concurrent {fmt(s['concurrent_rps'])} req/s (p50 {fmt(s['concurrent_p50_ms'])} ms, "
                  f"p95 {fmt(s['concurrent_p95_ms'])} ms)", file=out)
        best = report["best"]
        print(f"\nbest sequential: {best['sequential']}; best concurrent: {best['concurrent']}", file=out)
        verdict = "MET" if report["target_met"] else "NOT MET"
        print(f"target >= {TARGET_SEQUENTIAL_RPS:.0f} req/s sequential: {verdict} "
              f"(best median {fmt(report['best_sequential_rps'])} req/s)", file=out)
    prof = report.get("profile")
    if prof:
        print(f"\n== in-process profile (Flask test_client, same database, {prof['requests']} requests) ==", file=out)
        print(f"wall {prof['wall_ms_per_req']} ms/request = CPU {prof['cpu_ms_per_req']} ms + waiting "
              f"{prof['waiting_ms_per_req']} ms (PostgreSQL round trips and COMMIT); one process can do at most "
              f"~{prof['ceiling_rps_one_process']} req/s", file=out)
        print(f"per request: {prof['sql_statements_per_req']:g} SQL statements ({prof['sql_ms_per_req']} ms in "
              f"cursor.execute), {prof['pool_checkouts_per_req']:g} pool checkouts (each with a pre-ping)", file=out)
        for i, s in enumerate(prof["sql_of_one_request"], 1):
            print(f"  {i:2}. {s}", file=out)
        print("own CPU time by library (CPU-timer profile): " + ", ".join(
            f"{k} {v}%" for k, v in prof["own_cpu_by_library_pct"].items() if v >= 0.5), file=out)
        print(f"\n-- top 25 by cumulative wall time (under the profiler: {prof['profiled_ms_per_req']} ms/request) --",
              file=out)
        print(prof["top25_cumulative"], file=out)
        print("-- top 15 by own wall time (psycopg's wait = blocked on PostgreSQL) --", file=out)
        print(prof["top15_own_time"], file=out)
        print("-- app functions (dsar/) by cumulative CPU time (CPU-timer profile, inflated by the profiler) --",
              file=out)
        print(prof["app_functions_cpu_cumulative"], file=out)


def summarize_runs(runs: list[dict]) -> list[dict]:
    by_server: dict[str, list[dict]] = {}
    for run in runs:
        by_server.setdefault(run["server"], []).append(run)
    summary = []
    for server, rs in by_server.items():
        def med(kind: str, key: str):
            values = [ph[key] for r in rs for ph in r["phases"] if ph["phase"].startswith(kind) and ph[key] is not None]
            return round(statistics.median(values), 2) if values else None
        summary.append({"server": server, "runs": len(rs),
                        "sequential_rps": med("sequential", "rps"), "sequential_p50_ms": med("sequential", "p50_ms"),
                        "sequential_p95_ms": med("sequential", "p95_ms"),
                        "concurrent_rps": med("concurrent", "rps"), "concurrent_p50_ms": med("concurrent", "p50_ms"),
                        "concurrent_p95_ms": med("concurrent", "p95_ms")})
    return summary


# --------------------------------------------------------------------------- main

def parse_args(argv=None):
    cpus = os.cpu_count() or 1
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog="See the module docstring.")
    ap.add_argument("--requests", "-n", type=int, default=2000, help="measured requests per phase [2000]")
    ap.add_argument("--warmup", type=int, default=200, help="warm-up requests, not counted [200]")
    ap.add_argument("--concurrency", "-c", type=int, default=8, help="concurrent clients [8]")
    ap.add_argument("--client", choices=("processes", "threads"), default="processes",
                    help="concurrent clients as processes (no client GIL) or threads [processes]")
    # The intake is CPU-bound (~12 ms of Python per request, little waiting): one sync worker
    # per core measured best on 2 cores; more workers or threads only add contention.
    ap.add_argument("--workers", "-w", type=int, default=cpus, help=f"gunicorn workers [CPU count = {cpus}]")
    ap.add_argument("--worker-class", "-k", choices=("sync", "gthread"), default="sync", help="gunicorn worker class [sync]")
    ap.add_argument("--threads", type=int, default=None, help="threads per gthread worker [4]")
    ap.add_argument("--server", action="append", type=ServerSpec.parse, default=None, metavar="SPEC",
                    help="server configuration(s) to run in turn, e.g. sync:3 or gthread:2x4; repeatable; "
                         "overrides --workers/--worker-class/--threads")
    ap.add_argument("--repeat", type=int, default=1, help="runs of both phases per server configuration [1]")
    ap.add_argument("--principal", choices=("controller", "operator"), default="controller",
                    help="controller: bot token of cabinet-martin; operator: operator_agent token naming "
                         "controller cabinet-martin in the body [controller]")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="also profile N requests in-process (cProfile, Flask test_client) [off]")
    ap.add_argument("--no-floor", action="store_true",
                    help="skip the floor phase (sequential GET /: gunicorn + Flask without database)")
    ap.add_argument("--skip-http", action="store_true", help="no gunicorn runs (with --profile: profile only)")
    ap.add_argument("--keep-db", action="store_true", help="keep the bench database (its URL is printed)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON on stdout instead of the table")
    ap.add_argument("--pg-host", default="127.0.0.1")
    ap.add_argument("--pg-port", type=int, default=5432)
    ap.add_argument("--pg-user", default="postgres")
    ap.add_argument("--timeout", type=float, default=30.0, help="socket timeout per request, seconds [30]")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="time limit of one phase, seconds [300]")
    ap.add_argument("--time-limit", type=float, default=3600.0, help="time limit of the whole run, seconds [3600]")
    args = ap.parse_args(argv)
    if args.pg_host not in LOOPBACK:
        ap.error("--pg-host must be a loopback address: this benchmark only talks to 127.0.0.1")
    for name in ("requests", "concurrency", "workers", "repeat"):
        if not 1 <= getattr(args, name) <= 1_000_000:
            ap.error(f"--{name} must be >= 1")
    if args.concurrency > 256:
        ap.error("--concurrency at most 256")
    if not 0 <= args.warmup <= 100_000 or not 0 <= args.profile <= 100_000:
        ap.error("--warmup/--profile out of range")
    if args.threads is not None and args.worker_class != "gthread" and args.server is None:
        ap.error("--threads needs --worker-class gthread")
    if args.server is None:
        args.server = [ServerSpec(args.worker_class, args.workers,
                                  (args.threads or 4) if args.worker_class == "gthread" else 1)]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    # Ctrl-C stops the run even when started from a shell that ignores SIGINT (`cmd &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    t_start = time.monotonic()
    overall_deadline = t_start + args.time_limit
    dbname = f"dsar_bench_{secrets.token_hex(4)}"
    url = database_url(args, dbname)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN_"))}
    env.update(DSAR_DATABASE_URL=url, DSAR_SECRET_KEY=os.environ.get("DSAR_SECRET_KEY") or secrets.token_hex(32),
               PYTHONUNBUFFERED="1")
    report: dict = {"parameters": {
        "requests": args.requests, "warmup": args.warmup, "concurrency": args.concurrency, "client": args.client,
        "principal": args.principal, "repeat": args.repeat, "database": dbname,
        "servers": [s.label for s in args.server], "register": env.get("DSAR_CONFIG") or "demo (config/examples/septeo.yaml)",
    }, "environment": environment(args), "runs": [], "summary": [], "best": {}, "target_met": None}
    created = False
    server: Gunicorn | None = None
    exit_code = 0
    with tempfile.TemporaryDirectory(prefix="dsar-bench-") as tmp:
        try:
            with admin_connect(args) as conn:
                conn.execute(f'CREATE DATABASE "{dbname}"')
            created = True
            log(f"created database {dbname}")
            run_cli(env, "db", "upgrade")
            log(run_cli(env, "register", "sync").strip())
            token = mint_token(env, args.principal)
            log(f"minted a {args.principal} token")
            if not args.skip_http:
                for spec in args.server:
                    for rep in range(1, args.repeat + 1):
                        if time.monotonic() > overall_deadline:
                            raise TimeoutError("--time-limit reached")
                        server = Gunicorn(spec, env, Path(tmp))
                        server.start(overall_deadline)
                        log(f"gunicorn {spec.label} on 127.0.0.1:{server.port} (jobs: {server.health.get('jobs')}), run {rep}")
                        phases = []
                        runners = [run_sequential, run_concurrent] + ([] if args.no_floor else [run_floor])
                        for runner in runners:
                            deadline = min(overall_deadline, time.monotonic() + args.max_seconds)
                            phase = runner(args, server.port, token, dbname, server, deadline)
                            log(f"  {phase['phase']}: {phase['rps']} req/s, p50 {phase['p50_ms']} ms, "
                                f"p95 {phase['p95_ms']} ms, errors {phase['errors']}, connections {phase['connections_opened']}")
                            phases.append(phase)
                        if any(ph["errors"] for ph in phases):
                            log("gunicorn log tail:\n" + server.log_tail())
                        server.stop()
                        server = None
                        report["runs"].append({"server": spec.label, "repeat": rep, "phases": phases})
                report["summary"] = summarize_runs(report["runs"])
                seq = [s for s in report["summary"] if s["sequential_rps"] is not None]
                con = [s for s in report["summary"] if s["concurrent_rps"] is not None]
                if seq:
                    best_seq = max(seq, key=lambda s: s["sequential_rps"])
                    report["best"]["sequential"] = f"{best_seq['server']} ({best_seq['sequential_rps']} req/s)"
                    report["best_sequential_rps"] = best_seq["sequential_rps"]
                    report["target_met"] = best_seq["sequential_rps"] >= TARGET_SEQUENTIAL_RPS
                if con:
                    best_con = max(con, key=lambda s: s["concurrent_rps"])
                    report["best"]["concurrent"] = f"{best_con['server']} ({best_con['concurrent_rps']} req/s)"
            if args.profile:
                log(f"profiling {args.profile} requests in-process")
                report["profile"] = run_profile(args, url, token, args.profile)
            report["environment"]["loadavg_at_end"] = os.getloadavg()
            report["elapsed_seconds"] = round(time.monotonic() - t_start, 1)
            if args.json:
                json.dump(report, sys.stdout, indent=2)
                print()
            else:
                print_report(report)
            if any(ph["errors"] for run in report["runs"] for ph in run["phases"]):
                exit_code = 1
        except (KeyboardInterrupt, Interrupted):
            log("interrupted: cleaning up")
            exit_code = 130
        except Exception as exc:
            log(f"failed: {exc.__class__.__name__}: {exc}")
            if server is not None:
                log("gunicorn log tail:\n" + server.log_tail())
            exit_code = 2
        finally:
            # Cleanup must survive a second Ctrl-C: ignore SIGINT/SIGTERM while it runs.
            old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            try:
                if server is not None:
                    server.stop()
                if created and not args.keep_db:
                    try:
                        with admin_connect(args) as conn:
                            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
                        log(f"dropped database {dbname}")
                    except Exception as exc:
                        log(f"could not drop database {dbname}: {exc}")
                        exit_code = exit_code or 3
                elif created:
                    log(f"kept database: DSAR_DATABASE_URL={url}")
            finally:
                signal.signal(signal.SIGINT, old_int)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
