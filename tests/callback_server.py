"""A real HTTP server on loopback that receives webhooks and OpenGDPR callbacks.

It keeps every POST it receives (path, headers, raw body) and answers with the statuses
a test scripts for it (`respond(500, 200)`: the first POST gets a 500, the next a 200,
then 200 for ever after), so the sender's HTTP client, retries and signatures are the
real ones.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


class CallbackServer:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self._statuses: list[int] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with server._lock:
                    server.received.append(Received(self.path, dict(self.headers.items()), body))
                    status = server._statuses.pop(0) if server._statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                answer = b"ok" if status < 300 else b"not now"
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):  # quiet: pytest shows what matters
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_port}"

    def url(self, path: str = "/callback") -> str:
        return self.base_url + path

    def respond(self, *statuses: int) -> None:
        """Answer the next POSTs with these statuses, in order (then 200)."""
        with self._lock:
            self._statuses = list(statuses)

    def start(self) -> CallbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()
