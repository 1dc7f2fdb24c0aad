"""The common part of every fake vendor: a threaded HTTP server on 127.0.0.1 with
routes, an auth check, and faults on demand (429 with the vendor's headers, 5xx,
latency), recording every call so tests can see what a connector really did.

A vendor fake subclasses `FakeVendor`, sets `page_size`, implements `authorized()` and
`rate_limited()` (its own 429 shape), and declares routes with `@route(METHOD, pattern)`
where the pattern is a regular expression matched against the path (without query).
Route handlers take (self, call, *groups) and return (status, body[, headers]); a dict
or list body is sent as JSON.
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import MISSING, dataclass, field, fields
from typing import ClassVar
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def route(method: str, pattern: str):
    def mark(fn):
        fn.route = (method, re.compile(f"^{pattern}$"))
        return fn
    return mark


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: object

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Faults:
    """Faults armed by a test; each is used up as calls arrive."""

    rate_limited: int = 0          # the next N calls get the vendor's 429
    retry_after: float = 1.0
    server_errors: int = 0         # the next N calls get a 5xx
    server_error_status: int = 503
    latency: float = 0.0           # seconds added to every call
    paths: str | None = None       # a regex: only calls whose path matches are faulted (or slowed)


@dataclass
class FakeVendor:
    """Base class of the fakes. `records` holds the vendor's data; tests read and seed it."""

    token: str = "test-token"
    page_size: int = 2
    faults: Faults = field(default_factory=Faults)
    calls: list[Call] = field(default_factory=list)

    # The fields `reset` keeps: what identifies the account, not what it holds.
    keep_on_reset: ClassVar[tuple[str, ...]] = ("token", "page_size")

    def reset(self) -> None:
        """Back to a new fake's records, calls and faults, keeping the server running (one
        server per test module: stopping one takes a moment)."""
        for f in fields(self):
            if f.name in self.keep_on_reset:
                continue
            if f.default_factory is not MISSING:
                setattr(self, f.name, f.default_factory())
            elif f.default is not MISSING:
                setattr(self, f.name, f.default)

    # -- to override -------------------------------------------------------------------
    def authorized(self, call: Call) -> bool:
        return call.headers.get("authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> tuple:
        return 401, {"error": "unauthorized"}

    def rate_limited(self) -> tuple:
        return 429, {"error": "rate limited"}, {"Retry-After": _seconds(self.faults.retry_after)}

    def not_found(self) -> tuple:
        return 404, {"error": "not found"}

    # -- serving -----------------------------------------------------------------------
    def start(self) -> FakeVendor:
        routes = [getattr(self, name) for name in dir(type(self))
                  if callable(getattr(type(self), name, None)) and hasattr(getattr(type(self), name), "route")]
        fake = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle on, each answer waits ~40 ms.
            disable_nagle_algorithm = True

            def log_message(self, *args):  # quiet test output
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                call = Call(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                            {k.lower(): v for k, v in self.headers.items()}, body)
                answer = fake._answer(call, routes)
                status, payload, headers = (answer + ({},))[:3] if len(answer) == 2 else answer
                data = json.dumps(payload).encode() if isinstance(payload, (dict, list)) else (payload or b"")
                if isinstance(data, str):
                    data = data.encode()
                self.send_response(status)
                if isinstance(payload, (dict, list)):
                    self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _answer(self, call: Call, routes) -> tuple:
        with self._lock:
            self.calls.append(call)
            faults = self.faults
            targeted = faults.paths is None or re.search(faults.paths, call.path)
            fault = None
            if targeted and faults.rate_limited > 0:
                faults.rate_limited -= 1
                fault = "429"
            elif targeted and faults.server_errors > 0:
                faults.server_errors -= 1
                fault = "5xx"
            latency = faults.latency if targeted else 0.0
        if latency:
            time.sleep(latency)
        if not self.authorized(call):
            return self.unauthorized()
        if fault == "429":
            return self.rate_limited()
        if fault == "5xx":
            return faults.server_error_status, {"error": "server error"}
        for handler in routes:
            method, pattern = handler.route
            match = pattern.match(call.path)
            if match and method == call.method:
                with self._lock:
                    return handler(call, *match.groups())
        return self.not_found()

    def count(self, method: str, path_regex: str) -> int:
        """How many calls matched, for tests asserting what a connector did."""
        return sum(1 for c in self.calls if c.method == method and re.search(path_regex, c.path))


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
