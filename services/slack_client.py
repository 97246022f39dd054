"""Slack Web API clients: Slack's own retry handlers on, calls paced, and every call counted.

Slack's limits are per method and workspace (chat.postMessage: "several hundred per minute
per workspace", bursts allowed, numbers unpublished). Every call of this process goes
through one Pacer (pacing.py) lane per method and bot token: a 429 stops the lane for
everyone until its Retry-After moment, and the calls after it are spread evenly just under
what Slack accepted, instead of each thread sleeping Retry-After plus slack_sdk's random
second on its own (bench/README.md, digest fan-out).
"""
from __future__ import annotations

import contextvars
import hashlib
import time
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.internal_utils import _get_url

from pacing import Pacer, PaceTimeout, Pacing

from .metrics import SLACK_CALLS

# One per process, shared by every client (a workspace's cached client, Bolt's copies of the
# app client, a health check's): a lane is a method and a bot token, whoever holds it.
SLACK_PACER = Pacer()
MAX_PACE_WAIT = 30.0  # seconds; outside a slack_deadline, a longer wait answers "ratelimited"
DEFAULT_RETRY_AFTER = 1.0  # seconds, when a 429 has no readable Retry-After


def pace_key(url: str, token: str | None) -> str:
    """The lane of one Web API method (its URL) under one bot token (hashed: keys are logged)."""
    digest = hashlib.sha256((token or "").encode()).hexdigest()[:12]
    return f"slack {url.split('?', 1)[0]} token:{digest}"


class MeteredWebClient(WebClient):
    """A WebClient whose calls are paced and show up in zoombot_slack_api_calls_total."""

    def __init__(self, *args: Any, pacer: Pacing = SLACK_PACER, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pacer = pacer

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
        key = pace_key(_get_url(self.base_url, api_method), _token_of(self.token, kwargs))
        try:
            self._pacer.wait(key, max_wait=_wait_budget())
        except PaceTimeout:
            SLACK_CALLS.labels(api_method, "ratelimited").inc()
            raise
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error == "ratelimited":
                # A 429 that was not retried (out of retries or time): the lane still stops.
                self._pacer.limited(key, _retry_after(exc.response.headers))
            else:
                self._pacer.accepted(key)  # refused, but counted against the limit all the same
            SLACK_CALLS.labels(api_method, "ratelimited" if error == "ratelimited" else "error").inc()
            raise
        except Exception:
            SLACK_CALLS.labels(api_method, "network_error").inc()
            raise
        self._pacer.accepted(key)
        SLACK_CALLS.labels(api_method, "ok").inc()
        return response


def _token_of(default: str | None, kwargs: Mapping[str, Any]) -> str | None:
    """The token a call goes out with: its own `token` argument wins, as in slack_sdk."""
    for part in ("params", "json"):
        args = kwargs.get(part)
        if isinstance(args, Mapping) and args.get("token"):
            return str(args["token"])
    return default


# When set (a time.monotonic() value), no retry of a Slack call starts after it.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("zoombot_slack_deadline", default=None)


@contextmanager
def slack_deadline(seconds: float) -> Iterator[None]:
    """Give up on retries of the Slack calls made inside after `seconds` (one attempt
    already under way still runs to its own timeout). Lets a digest's sender promise that
    after a known time it can no longer post, so another process may safely take over."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _before_deadline() -> bool:
    deadline = _DEADLINE.get()
    return deadline is None or time.monotonic() < deadline


def _wait_budget() -> float:
    """How long a call may wait for its turn: until the slack_deadline, else MAX_PACE_WAIT."""
    deadline = _DEADLINE.get()
    return MAX_PACE_WAIT if deadline is None else max(0.0, deadline - time.monotonic())


class _PacedRateLimit(RateLimitErrorRetryHandler):
    """A 429 stops the call's lane until the Retry-After moment; the retry then takes its turn.

    Replaces slack_sdk's own wait (Retry-After plus a random second, in each thread
    alone). When the turn would come after the deadline (or MAX_PACE_WAIT), no retry is
    made and the caller gets Slack's answer, "ratelimited".
    """

    def __init__(self, pacer: Pacing, *, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._pacer = pacer

    def _can_retry(self, **kwargs: Any) -> bool:
        return _before_deadline() and super()._can_retry(**kwargs)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]  # as slack_sdk's handler does
        key = pace_key(request.url, _bearer_of(request.headers))
        self._pacer.limited(key, _retry_after(response.headers))
        try:
            self._pacer.wait(key, max_wait=_wait_budget())
        except PaceTimeout:
            return  # no next attempt requested: slack_sdk hands the 429 to the caller
        state.next_attempt_requested = True
        state.increment_current_attempt()


def _bearer_of(headers: Mapping[str, Any]) -> str | None:
    for name, values in headers.items():
        if name.lower() == "authorization":
            value = values[0] if isinstance(values, list) and values else values
            if isinstance(value, str) and value.startswith("Bearer "):
                return value[len("Bearer "):]
    return None


def _retry_after(headers: Mapping[str, Any]) -> float:
    """Slack's Retry-After (seconds) from slack_sdk's header lists; DEFAULT_RETRY_AFTER if unreadable."""
    for name, values in headers.items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) and values else values
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER


class _ServerError(ServerErrorRetryHandler):
    def _can_retry(self, **kwargs: Any) -> bool:
        return _before_deadline() and super()._can_retry(**kwargs)


class _ConnectionError(ConnectionErrorRetryHandler):
    def _can_retry(self, **kwargs: Any) -> bool:
        return _before_deadline() and super()._can_retry(**kwargs)


def make_slack_client(base_url: str, token: str | None, *, pacer: Pacing | None = None) -> WebClient:
    """Calls are paced (default: the process's SLACK_PACER); a 429 waits for the lane's
    Retry-After moment (up to 10 times); a 5xx or a dropped connection is retried."""
    pacer = SLACK_PACER if pacer is None else pacer
    return MeteredWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        pacer=pacer,
        retry_handlers=[
            _ConnectionError(max_retry_count=2),
            _PacedRateLimit(pacer, max_retry_count=10),
            _ServerError(max_retry_count=3),
        ],
    )
