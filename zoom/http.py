"""One pooled HTTP session for Zoom, with timeouts and 429 handling.

Zoom's rate limits are per Zoom account and shared by every app on it, so a 429 is
normal traffic, not a failure: wait as long as Zoom asks (Retry-After comes as seconds
or as an ISO-8601 datetime, and is sometimes missing) and try again, a bounded number
of times.

The OAuth endpoints (one host for the whole app, and the refresh sweep's thousands of
token calls) go through a shared Pacer (pacing.py): a 429 stops every caller until its
Retry-After moment and sets a pace just under what Zoom accepted, instead of each thread
waiting on its own and the next burst meeting the next 429. The REST API is not paced:
its limits are per Zoom account, every user may be in another one, and a URL does not
say which, so one user's 429 must not slow everyone else's calls.
"""
from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Hashable
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from pacing import Pacer, PaceTimeout, Pacing

from .errors import ZoomRateLimited, ZoomUnavailable

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
MAX_RATE_LIMIT_RETRIES = 4
MAX_RETRY_WAIT = 30.0  # seconds; a longer wait is reported as ZoomRateLimited instead
BACKOFF_BASE = 0.5


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, or None when absent or unreadable.

    Accepts delta-seconds ("2"), an ISO-8601 datetime ("2026-12-04T15:00:03Z", as Zoom
    sends) and an HTTP date ("Fri, 04 Dec 2026 15:00:03 GMT").
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def oauth_lane(url: str, endpoint: str) -> Hashable | None:
    """The pacer lane of a request: one per OAuth endpoint and host (the app's own limit);
    None (not paced) for the REST API, whose limits belong to each user's Zoom account."""
    if not endpoint.startswith("oauth/"):
        return None
    parts = urlsplit(url)
    return f"zoom {parts.scheme}://{parts.netloc}/{endpoint}"


def new_session(pool_size: int = 32) -> requests.Session:
    """A keep-alive session whose pool is big enough for our worker threads."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "zoombot/1.0"
    return session


class ZoomHttp:
    """Sends requests to Zoom through one session, waiting out 429s.

    `sleep` and `now` (epoch seconds, for Retry-After datetimes) are injectable so that
    tests and benchmarks can observe the waits. `pacer` (default: one of its own, sleeping
    through `sleep`) paces the requests that `lane` gives a key (default: the OAuth ones).
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
        observe: Callable[[str, int | None], None] | None = None,
        max_retries: int = MAX_RATE_LIMIT_RETRIES,
        max_wait: float = MAX_RETRY_WAIT,
        pacer: Pacing | None = None,
        lane: Callable[[str, str], Hashable | None] = oauth_lane,
    ) -> None:
        self.session = session or new_session()
        self._sleep = sleep
        self._now = now
        self._observe = observe
        self._max_retries = max_retries
        self._max_wait = max_wait
        self._pacer: Pacing = pacer if pacer is not None else Pacer(sleep=sleep)
        self._lane = lane

    def request(self, method: str, url: str, *, endpoint: str = "other", **kwargs: Any) -> requests.Response:
        """Send one request; retry only on 429. Raises ZoomUnavailable on network errors.

        `endpoint` names the call for the `observe` hook (metrics), without ids.
        """
        kwargs.setdefault("timeout", (CONNECT_TIMEOUT, READ_TIMEOUT))
        key = self._lane(url, endpoint)
        attempt = 0
        while True:
            if key is not None:
                self._take_turn(key)
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.RequestException as exc:
                self._report(endpoint, None)
                # The exception text can carry the URL but never a header or body.
                raise ZoomUnavailable(f"Zoom could not be reached ({type(exc).__name__})") from None
            self._report(endpoint, response.status_code)
            if response.status_code != 429:
                if key is not None:
                    self._pacer.accepted(key)
                return response
            wait = parse_retry_after(response.headers.get("Retry-After"), now=self._now())
            if wait is None:
                wait = BACKOFF_BASE * (2**attempt) + random.uniform(0, BACKOFF_BASE)
            if key is not None:
                # Every caller of this lane waits with us; the next turn (below) is after it.
                wait = self._pacer.limited(key, wait)
            if attempt >= self._max_retries or wait > self._max_wait:
                raise ZoomRateLimited("Zoom is rate limiting us; try again shortly", wait)
            attempt += 1
            log.info("zoom rate limited: waiting %.2fs (attempt %d, %s)", wait, attempt, _path_of(url))
            if key is None:
                self._sleep(wait)

    def _take_turn(self, key: Hashable) -> None:
        """Wait for this request's turn on its lane; a turn beyond max_wait is a 429 of ours."""
        try:
            self._pacer.wait(key, max_wait=self._max_wait)
        except PaceTimeout as exc:
            raise ZoomRateLimited("Zoom is rate limiting us; try again shortly", exc.wait) from None

    def _report(self, endpoint: str, status: int | None) -> None:
        if self._observe is not None:
            self._observe(endpoint, status)


def _path_of(url: str) -> str:
    return url.split("?", 1)[0]
