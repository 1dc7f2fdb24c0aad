"""The current time, in one place so tests and commands can reason about it."""
from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)
