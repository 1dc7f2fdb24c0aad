"""A per-system rate limit on calls to vendors, shared by every worker.

With Redis (`configure(redis_url)`, done by fulfilment), one counter per system and
tenth of a second is shared by every worker on every machine, so ten workers do not
make ten times the calls a vendor allows. Without Redis (the embedded demo) the
counter lives in this process. A system's limit comes from its register settings
(`rate_limit`: calls per second); none set means no limit.
"""
from __future__ import annotations

import threading
import time

_redis = None
_local: dict[tuple[str, int], int] = {}
_lock = threading.Lock()
WINDOW = 0.1  # seconds: small windows keep bursts within a tenth of the limit


def configure(redis_connection) -> None:
    global _redis
    _redis = redis_connection


def acquire(system_id: str, per_second: float | None) -> None:
    """Block until a call to `system_id` fits within `per_second` calls per second."""
    if not per_second:
        return
    length = max(WINDOW, 1.0 / per_second)  # 4/s: one call per quarter second
    allowed = max(1, int(per_second * length))
    while True:
        now = time.time()
        window = int(now / length)
        if _take(system_id, window, allowed):
            return
        time.sleep(max(0.0, (window + 1) * length - now))


def _take(system_id: str, window: int, allowed: int) -> bool:
    if _redis is not None:
        key = f"dsar:rate:{system_id}:{window}"
        pipe = _redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 2)
        count, _ = pipe.execute()
        return count <= allowed
    with _lock:
        for old in [k for k in _local if k[1] < window]:
            del _local[old]
        count = _local.get((system_id, window), 0) + 1
        _local[(system_id, window)] = count
        return count <= allowed
