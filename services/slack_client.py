"""Slack Web API clients: Slack's own retry handlers on, and every call counted."""
from __future__ import annotations

import contextvars
import time
from contextlib import contextmanager
from typing import Any, Iterator

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from .metrics import SLACK_CALLS


class MeteredWebClient(WebClient):
    """A WebClient whose calls show up in zoombot_slack_api_calls_total."""

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            SLACK_CALLS.labels(api_method, "ratelimited" if error == "ratelimited" else "error").inc()
            raise
        except Exception:
            SLACK_CALLS.labels(api_method, "network_error").inc()
            raise
        SLACK_CALLS.labels(api_method, "ok").inc()
        return response


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


class _RateLimit(RateLimitErrorRetryHandler):
    def _can_retry(self, **kwargs: Any) -> bool:
        return _before_deadline() and super()._can_retry(**kwargs)


class _ServerError(ServerErrorRetryHandler):
    def _can_retry(self, **kwargs: Any) -> bool:
        return _before_deadline() and super()._can_retry(**kwargs)


class _ConnectionError(ConnectionErrorRetryHandler):
    def _can_retry(self, **kwargs: Any) -> bool:
        return _before_deadline() and super()._can_retry(**kwargs)


def make_slack_client(base_url: str, token: str | None) -> WebClient:
    """A 429 waits its Retry-After (up to 10 times), a 5xx or a dropped connection is retried."""
    return MeteredWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            _ConnectionError(max_retry_count=2),
            _RateLimit(max_retry_count=10),
            _ServerError(max_retry_count=3),
        ],
    )
