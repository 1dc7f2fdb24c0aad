"""S3 servers on loopback for the S3 connector's tests.

`moto_s3` (module scope) runs moto's real server as a separate process on 127.0.0.1
and a free port, so the connector talks S3 over HTTP exactly as it would to AWS; tests
use a fresh bucket each, so they need no reset. `ScriptedS3` answers from a
test's function and `ErrorServer` with one S3 error (503 SlowDown, 403 AccessDenied…),
for the failures moto cannot be asked to produce.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def moto_command(port: int) -> list[str]:
    script = VENV_BIN / "moto_server"
    if script.exists():
        return [str(script), "-H", "127.0.0.1", "-p", str(port)]
    if shutil.which("moto_server"):
        return ["moto_server", "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, wait: float = 20.0) -> MotoServer:
        self.process = subprocess.Popen(moto_command(self.port), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited: {self.process.stderr.read().decode(errors='replace')[-500:]}")
            try:
                requests.get(f"{self.url}/moto-api/", timeout=0.5)
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"moto_server did not answer on {self.url} within {wait} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()


@pytest.fixture(scope="module")
def moto_s3():
    """The URL of a moto S3 server on loopback, for the module's tests."""
    server = MotoServer().start()
    try:
        yield server.url
    finally:
        server.stop()


class ScriptedS3:
    """An S3 endpoint whose every answer comes from `answer(method, path_and_query)`,
    which returns (status, XML body); it counts the requests it got."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                outer.requests.append((self.command, self.path))
                status, xml = outer.answer(self.command, self.path)
                body = f'<?xml version="1.0" encoding="UTF-8"?>{xml}'.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def error_xml(code: str, message: str) -> str:
    """An error body in S3's shape."""
    return f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>test</RequestId></Error>"


class ErrorServer(ScriptedS3):
    """Answers every request with one S3 error (503 SlowDown, 403 AccessDenied…)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(lambda method, path: (status, error_xml(code, message)))
