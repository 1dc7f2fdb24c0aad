"""A private Dovecot IMAP server for the tests: 127.0.0.1, a free port, a temp dir.

One passwd-file user, maildir storage, plaintext login (loopback only, no TLS). It runs
as the current user: as root, Dovecot refuses to run its login processes or to give
mail access as root, so those run as the package's own `dovenull` / `dovecot` users
(which `dovecot-core` creates); as anyone else it runs "rootless", every process as
that user. `stop()` and `start()` can be called again (same port, same mail), which is
how a test takes the server away in the middle of a poll.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"

_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
mail_location = maildir:{root}/mail/%u
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def available() -> bool:
    return os.access(DOVECOT, os.X_OK)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DovecotServer:
    """Start with `start()`, stop with `stop()`; `client()` returns a logged-in IMAPClient."""

    def __init__(self, username: str = "dpo", password: str = "imap-test-secret"):
        self.host = "127.0.0.1"
        self.username, self.password = username, password
        # Not pytest's tmp_path: as root that sits in a 0700 folder the mail user cannot
        # enter. A folder of our own, readable by the processes Dovecot drops to.
        self.root = Path(tempfile.mkdtemp(prefix="dsar-dovecot-"))
        self.root.chmod(0o755)
        self.port = _free_port()
        self._process: subprocess.Popen | None = None

    def _identities(self) -> tuple[dict, int, int]:
        if os.geteuid() == 0:
            mail = pwd.getpwnam("dovecot")
            return ({"internal_user": "dovecot", "internal_group": _group_name(mail.pw_gid),
                     "login_user": "dovenull"}, mail.pw_uid, mail.pw_gid)
        me = pwd.getpwuid(os.geteuid())
        return ({"internal_user": me.pw_name, "internal_group": _group_name(me.pw_gid),
                 "login_user": me.pw_name}, me.pw_uid, me.pw_gid)

    def _write_config(self) -> Path:
        users, uid, gid = self._identities()
        for folder in ("run", "state", "mail"):
            (self.root / folder).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            os.chown(self.root / "mail", uid, gid)
        (self.root / "users").write_text(
            f"{self.username}:{{PLAIN}}{self.password}:{uid}:{gid}::{self.root}/mail/{self.username}\n")
        config = self.root / "dovecot.conf"
        config.write_text(_CONFIG.format(root=self.root, port=self.port, **users))
        return config

    def start(self, timeout: float = 10.0) -> None:
        config = self._write_config()
        with open(self.root / "stderr.log", "ab") as stderr:  # the child keeps its own copy
            # Its own process group: stopping it can then reach every process it forked.
            self._process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], start_new_session=True,
                                             stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start: {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log()}")

    @property
    def running(self) -> bool:
        return self._process is not None

    def stop(self) -> None:
        """Stop the master and every process it started, dropping their client connections.

        The master alone leaves its imap processes serving the connections they hold
        (they die only when they next need it), so the whole process group goes.
        """
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the group we created at start
        except ProcessLookupError:
            pass
        # The master removes its pid file last; wait for it so a restart is not refused.
        pid_file = self.root / "run" / "master.pid"
        for _ in range(100):
            if not pid_file.exists():
                break
            time.sleep(0.02)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        texts = [(self.root / name).read_text(errors="replace")
                 for name in ("dovecot.log", "stderr.log") if (self.root / name).exists()]
        return "\n".join(texts)[-4000:]

    def client(self):
        """A logged-in IMAPClient (the caller logs it out)."""
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.username, self.password)
        return client

    def settings(self, folder: str = "INBOX") -> dict:
        """The app config keys that point the poller at this server."""
        return {"IMAP_HOST": self.host, "IMAP_PORT": self.port, "IMAP_SSL": False,
                "IMAP_USERNAME": self.username, "IMAP_PASSWORD": self.password, "IMAP_FOLDER": folder}


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name
