"""The answers' background duties, run by every sweeper and by `dsar tick`.

Each duty is a function `duty(now) -> int` (how many things it did) that sends what is
owed and due: signed webhook deliveries, pending Art. 19 notices, and deletion of
expired access packages. Duties register themselves with `@duty`; `sweep(now)` runs
them all, each in its own transaction, and one failing never stops the others.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

from dsar.extensions import db
from dsar.timeutil import now as current_time

log = logging.getLogger(__name__)

DUTIES: dict[str, object] = {}
# The fulfilment sweeper runs every second; the answers' duties need not.
MIN_INTERVAL = 5.0
_last_run = 0.0


def duty(function):
    """Register `function(now) -> int` as a background duty (by its qualified name)."""
    DUTIES[f"{function.__module__}.{function.__qualname__}"] = function
    return function


def sweep(now: datetime | None = None, *, force: bool = True) -> dict[str, int]:
    """Run every duty; {duty name: how many things it did}. With force=False (the
    sweepers), at most once per MIN_INTERVAL seconds in this process."""
    global _last_run
    if not force and time.monotonic() - _last_run < MIN_INTERVAL:
        return {}
    _last_run = time.monotonic()
    _load_duties()
    now = now or current_time()
    done = {}
    for name, function in DUTIES.items():
        try:
            done[name] = function(now)
        except Exception:  # noqa: BLE001 — one broken duty must not stop the others
            db.session.rollback()
            log.exception("answers duty %s", name)
            done[name] = 0
    return done


def _load_duties() -> None:
    """Import the modules that declare duties (they register on import)."""
    from dsar.answers import duties  # noqa: F401
