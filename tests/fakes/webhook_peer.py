"""A webhook endpoint for tests: what a system fulfilled by its own HTTP endpoint runs.

It keeps every POST it receives (headers, raw body, decoded JSON) and checks its
signature exactly as a real endpoint must: HMAC-SHA256 of "<timestamp>.<raw body>" keyed
with the shared secret, over the bytes received (not a re-encoding of the JSON), and a
timestamp within five minutes. A bad signature gets 401. Otherwise it answers as the
test set it: `accept` (202: it will call back), `result` (200 with a result body),
`fail` (a 5xx), or `garbage` (200 with a body that is not a result).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    body: object
    signature_ok: bool


@dataclass
class WebhookPeer:
    secret: str
    mode: str = "accept"                 # accept | result | fail | garbage
    result: dict = field(default_factory=lambda: {"outcome": "erased", "notes": ["deleted by the peer"]})
    fail_status: int = 503
    received: list[Received] = field(default_factory=list)

    def verify(self, headers: dict[str, str], raw: bytes) -> bool:
        timestamp, signature = headers.get("x-dsar-timestamp", ""), headers.get("x-dsar-signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        expected = hmac.new(self.secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"sha256={expected}", signature)

    def answer(self, signature_ok: bool) -> tuple[int, object]:
        if not signature_ok:
            return 401, {"error": "bad signature"}
        if self.mode == "fail":
            return self.fail_status, {"error": "down for maintenance"}
        if self.mode == "result":
            return 200, self.result
        if self.mode == "garbage":
            return 200, {"status": "ok"}
        return 202, {"accepted": True}

    def start(self) -> WebhookPeer:
        peer = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                ok = peer.verify(headers, raw)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with lock:
                    peer.received.append(Received(self.path, headers, raw, body, ok))
                    status, payload = peer.answer(ok)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/dsar-tasks"

    def __enter__(self) -> WebhookPeer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
