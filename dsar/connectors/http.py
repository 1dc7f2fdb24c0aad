"""The HTTP client every SaaS connector uses: auth, timeouts, 429, 5xx, rate limit.

One place decides how dsar behaves towards a vendor's API (connectors.md, "Rules for
every connector"):

- each call waits for the system's rate limit (`ratelimit.acquire`) first;
- a 429 waits for `Retry-After` (seconds or an HTTP date) or the vendor's reset header,
  in place when the wait is short, otherwise the task is rescheduled (`RetryLater`);
- a 5xx, a timeout or a refused connection is retried in place with jittered backoff a
  few times, then the task is rescheduled;
- any other error becomes a `ConnectorError` with the method, path, status and the
  vendor's own message — never a header, so no token reaches a log or an error.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests

from dsar.connectors import ratelimit
from dsar.connectors.base import ConnectorError, RetryLater

# A 429 asking to wait longer than this reschedules the task instead of holding a worker.
INLINE_WAIT_MAX = 5.0
INLINE_ATTEMPTS = 3
DEFAULT_TIMEOUT = 15.0

_session = requests.Session()  # connection pooling across tasks of one worker


def retry_after_seconds(headers, reset_header: str | None = None, reset_is_epoch: bool = False,
                        now: float | None = None) -> float | None:
    """How long a 429 asks us to wait: Retry-After (seconds or HTTP date), else the vendor's reset header."""
    now = time.time() if now is None else now
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                return max(0.0, when.timestamp() - now)
    if reset_header and headers.get(reset_header):
        try:
            reset = float(headers[reset_header])
        except ValueError:
            return None
        return max(0.0, reset - now) if reset_is_epoch else max(0.0, reset)
    return None


class VendorHttp:
    """Calls to one system's API.

    `error_message(response)` extracts the vendor's error text from its error shape;
    `reset_header` names the vendor's rate-limit reset header (epoch seconds when
    `reset_is_epoch`, else seconds to wait).
    """

    def __init__(self, system_id: str, base_url: str, headers: dict[str, str], *,
                 auth: tuple[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT,
                 rate_per_second: float | None = None,
                 error_message: Callable[[requests.Response], str] | None = None,
                 reset_header: str | None = None, reset_is_epoch: bool = False,
                 sleep: Callable[[float], None] = time.sleep):
        self.system_id = system_id
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.auth = auth
        self.timeout = timeout
        self.rate_per_second = rate_per_second
        self.error_message = error_message or (lambda r: r.text[:300])
        self.reset_header, self.reset_is_epoch = reset_header, reset_is_epoch
        self.sleep = sleep

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def call(self, method: str, path: str, *, params=None, json=None, ok=(200, 201, 202, 204),
             allow_404: bool = False) -> requests.Response | None:
        """One API call; the response when its status is in `ok` (None on a 404 when allowed)."""
        url = self.url(path)
        where = f"{method} {url.split('?')[0].removeprefix(self.base_url) or '/'}"
        for attempt in range(1, INLINE_ATTEMPTS + 1):
            ratelimit.acquire(self.system_id, self.rate_per_second)
            try:
                response = _session.request(method, url, params=params, json=json, headers=self.headers,
                                            auth=self.auth, timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                reason = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
                if attempt == INLINE_ATTEMPTS:
                    raise RetryLater(f"{where}: {reason} after {attempt} attempts") from None
                self.sleep(_backoff(attempt))
                continue
            status = response.status_code
            if status in ok:
                return response
            if status == 404 and allow_404:
                return None
            if status == 429:
                wait = retry_after_seconds(response.headers, self.reset_header, self.reset_is_epoch)
                if wait is not None and wait <= INLINE_WAIT_MAX and attempt < INLINE_ATTEMPTS:
                    self.sleep(wait)
                    continue
                raise RetryLater(f"{where}: rate limited (429)", delay=wait)
            if status >= 500:
                if attempt == INLINE_ATTEMPTS:
                    raise RetryLater(f"{where}: server error {status} after {attempt} attempts")
                self.sleep(_backoff(attempt))
                continue
            raise ConnectorError(f"{where}: {status} {self._vendor_message(response)}".strip())
        raise RetryLater(f"{where}: gave up after {INLINE_ATTEMPTS} attempts")  # pragma: no cover

    def json(self, method: str, path: str, **kwargs):
        """The decoded JSON body of a call (None on an allowed 404 or an empty body)."""
        response = self.call(method, path, **kwargs)
        if response is None or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(f"{method} {path.split('?')[0]}: the answer is not JSON") from None

    def _vendor_message(self, response: requests.Response) -> str:
        try:
            return self.error_message(response)
        except Exception:  # a vendor's malformed error body must not hide the status
            return response.text[:300]


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter, for the in-place retries of one call."""
    return random.uniform(0, min(2.0, 0.2 * 2 ** attempt))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
