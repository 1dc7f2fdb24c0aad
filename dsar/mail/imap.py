"""Polling the DPO mailbox over IMAP into the intake pipeline.

Where polling has got to is kept per mailbox folder in a `Mailbox` row (UIDVALIDITY
and the last UID read). A poll fetches the UIDs above it with BODY.PEEK[] (the fetch
marks nothing as read), hands each message to `ingest`, and only after that commit
advances `last_uid` and flags the message \\Seen. So a crash can repeat a message but
never skip one, and a repeated message is harmless: its Message-ID is already stored,
so it opens nothing twice. A changed UIDVALIDITY means the server renumbered the folder:
it is read again from the start, for the same reason harmlessly.

`poll_once` is one pass (cron, tests, `dsar mail poll --once`); `poll_forever` loops,
with capped exponential backoff while the server is unreachable.
"""
from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask import current_app
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from dsar.extensions import db
from dsar.intake.pipeline import Outcome, ingest
from dsar.models import Mailbox
from dsar.timeutil import now as current_time

# What a network or server failure looks like: the poll stops, says why, resumes next time.
CONNECTION_ERRORS = (OSError, socket.timeout, IMAPClientError)
# Fetch at most this many bytes of mail per round trip (one message at least).
BATCH_BYTES = 32 * 1024 * 1024
BATCH_MESSAGES = 50


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int = 993
    ssl: bool = True
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config) -> ImapSettings:
        """From the app config (IMAP_*); ValueError names what is missing."""
        missing = [k for k in ("IMAP_HOST", "IMAP_USERNAME", "IMAP_PASSWORD") if not config.get(k)]
        if missing:
            raise ValueError("set " + ", ".join("DSAR_" + k for k in missing) + " to poll a mailbox")
        return cls(host=config["IMAP_HOST"], port=int(config.get("IMAP_PORT") or 993),
                   ssl=bool(config.get("IMAP_SSL", True)), username=config["IMAP_USERNAME"],
                   password=config["IMAP_PASSWORD"], folder=config.get("IMAP_FOLDER") or "INBOX")

    @property
    def mailbox_id(self) -> str:
        return f"{self.username}@{self.host}:{self.port}/{self.folder}"[:300]


@dataclass
class PollResult:
    mailbox: str
    outcomes: list[tuple[int, Outcome]] = field(default_factory=list)  # (UID, what intake did)
    renumbered: bool = False  # UIDVALIDITY changed: the folder was read again from the start
    error: str | None = None


def _mailbox(settings: ImapSettings) -> Mailbox:
    mailbox = db.session.get(Mailbox, settings.mailbox_id)
    if mailbox is None:
        mailbox = Mailbox(id=settings.mailbox_id, last_uid=0)
        db.session.add(mailbox)
        db.session.commit()
    return mailbox


def _connect(settings: ImapSettings) -> IMAPClient:
    client = IMAPClient(settings.host, port=settings.port, ssl=settings.ssl, timeout=settings.timeout)
    try:
        client.login(settings.username, settings.password)
    except BaseException:
        _close(client)
        raise
    return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # already gone: just release the socket
        try:
            client.shutdown()
        except Exception:
            pass


def _batches(client: IMAPClient, uids: list[int]) -> Iterator[list[int]]:
    """UIDs in fetch batches of at most BATCH_MESSAGES messages and BATCH_BYTES bytes."""
    sizes = client.fetch(uids, ["RFC822.SIZE"])
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, {}).get(b"RFC822.SIZE", 0)
        if batch and (len(batch) >= BATCH_MESSAGES or total + size > BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def poll_once(settings: ImapSettings | None = None, *,
              on_outcome: Callable[[int, Outcome], None] | None = None) -> PollResult:
    """Read every new message of the folder into intake; see the module docstring.

    Connection and server errors end the poll early: they are recorded on the Mailbox
    row (`last_error`) and in the result, never raised. What was committed before stays.
    """
    settings = settings or ImapSettings.from_config(current_app.config)
    mailbox = _mailbox(settings)
    result = PollResult(settings.mailbox_id)
    client = None
    try:
        client = _connect(settings)
        uidvalidity = client.select_folder(settings.folder)[b"UIDVALIDITY"]
        if mailbox.uidvalidity != uidvalidity:
            result.renumbered = mailbox.uidvalidity is not None
            mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
            db.session.commit()
        # "N:*" always matches the highest UID, even below N: filter again.
        uids = sorted(u for u in client.search(["UID", f"{mailbox.last_uid + 1}:*"]) if u > mailbox.last_uid)
        for batch in _batches(client, uids) if uids else ():
            fetched = client.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                raw = fetched.get(uid, {}).get(b"BODY[]")
                if raw is not None:  # None: expunged since the search, nothing to read
                    outcome = ingest(bytes(raw), source="imap")
                    result.outcomes.append((uid, outcome))
                    if on_outcome:
                        on_outcome(uid, outcome)
                # Only now, after intake's commit, is the message counted as read.
                mailbox.last_uid = uid
                db.session.commit()
                if raw is not None:
                    client.add_flags([uid], [b"\\Seen"], silent=True)
        mailbox.last_error = None
    except CONNECTION_ERRORS as exc:
        db.session.rollback()
        result.error = f"{type(exc).__name__}: {exc}"[:2000]
        mailbox = db.session.get(Mailbox, settings.mailbox_id)
        mailbox.last_error = result.error
    finally:
        if client is not None:
            _close(client)
    mailbox.polled_at = current_time()
    db.session.commit()
    return result


def backoff(failures: int, interval: float, cap: float) -> float:
    """Seconds to wait after `failures` failed polls in a row: interval doubled each time, capped."""
    if failures <= 0:
        return interval
    return min(cap, max(interval, 1.0) * 2 ** (failures - 1))


def poll_forever(settings: ImapSettings, *, interval: float = 60.0, max_backoff: float = 900.0,
                 on_outcome: Callable[[int, Outcome], None] | None = None,
                 on_result: Callable[[PollResult], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
    """Poll every `interval` seconds until `should_stop()`; back off while polls fail."""
    app = current_app._get_current_object()
    failures = 0
    while not should_stop():
        # A fresh app context (and session) per pass, so nothing cached goes stale.
        with app.app_context():
            try:
                result = poll_once(settings, on_outcome=on_outcome)
            except Exception as exc:  # the database is down, say: keep the loop, back off
                app.logger.exception("poll of %s failed", settings.mailbox_id)
                result = PollResult(settings.mailbox_id, error=f"{type(exc).__name__}: {exc}")
            finally:
                db.session.remove()
        if on_result:
            on_result(result)
        failures = failures + 1 if result.error else 0
        sleep(backoff(failures, interval, max_backoff))
