"""Who a Slack user is, as far as zoombot needs: their timezone."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .clock import Clock
from .meetings import zone

log = logging.getLogger(__name__)

TIMEZONE_TTL = timedelta(hours=6)


class TimezoneDirectory:
    """Each user's timezone from Slack's users.info, cached for a few hours."""

    def __init__(self, *, clock: Clock, ttl: timedelta = TIMEZONE_TTL) -> None:
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[ZoneInfo, datetime]] = {}
        self._guard = threading.Lock()

    def lookup(
        self, client: WebClient, *, team_id: str, user_id: str, fallback: str | None = None, fresh: bool = False
    ) -> ZoneInfo:
        """The user's timezone; `fallback` (then UTC) when Slack cannot tell.

        `fresh` skips the cache (the daily re-read of every user's zone).
        """
        key = (team_id, user_id)
        now = self._clock()
        with self._guard:
            cached = self._cache.get(key)
        if cached and not fresh and now - cached[1] < self._ttl:
            return cached[0]
        tz_name: str | None = None
        try:
            response = client.users_info(user=user_id)
            tz_name = (response.get("user") or {}).get("tz")
        except SlackApiError as exc:
            log.warning("users.info failed for %s/%s: %s", team_id, user_id, exc.response.get("error"))
        except Exception:  # network trouble: fall back rather than fail the command
            log.warning("users.info failed for %s/%s", team_id, user_id, exc_info=True)
        tz = zone(tz_name or fallback)
        if tz_name:
            with self._guard:
                self._cache[key] = (tz, now)
        return tz
