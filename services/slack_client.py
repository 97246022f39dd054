"""Slack Web API clients: Slack's own retry handlers on, and every call counted."""
from __future__ import annotations

from typing import Any

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


def make_slack_client(base_url: str, token: str | None) -> WebClient:
    """A 429 waits its Retry-After (up to 10 times), a 5xx or a dropped connection is retried."""
    return MeteredWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=10),
            ServerErrorRetryHandler(max_retry_count=3),
        ],
    )
