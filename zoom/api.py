"""The Zoom REST API calls zoombot makes, with pagination and 401/124 detection."""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Iterator

from .errors import InvalidAccessToken, ZoomApiError, ZoomUnavailable
from .http import ZoomHttp
from .models import Meeting, ZoomUser, meeting_from_api

log = logging.getLogger(__name__)

PAGE_SIZE = 300  # Zoom's maximum
MAX_PAGES = 20  # 6,000 meetings: a bound, so a misbehaving server cannot loop us forever


class ZoomApi:
    """Stateless calls; each takes the access token to use."""

    def __init__(self, http: ZoomHttp, *, api_url: str) -> None:
        self._http = http
        self._base = api_url.rstrip("/")

    def get_me(self, access_token: str) -> ZoomUser:
        body = self._get("/users/me", access_token)
        first = str(body.get("first_name") or "")
        last = str(body.get("last_name") or "")
        display = str(body.get("display_name") or f"{first} {last}".strip() or body.get("email") or "")
        return ZoomUser(
            id=str(body.get("id") or ""),
            email=str(body.get("email") or ""),
            display_name=display,
            timezone=body.get("timezone") or None,
            account_id=body.get("account_id") or None,
        )

    def list_meetings(
        self,
        access_token: str,
        *,
        start: date,
        end: date,
        timezone: str,
        meeting_type: str = "upcoming",
    ) -> list[Meeting]:
        """Every meeting Zoom lists from `start` to `end` (dates in `timezone`), all pages.

        Zoom's own date filter is not exact: callers filter by start time themselves.
        """
        return list(self._iter_meetings(access_token, start, end, timezone, meeting_type))

    def _iter_meetings(
        self, access_token: str, start: date, end: date, tz: str, meeting_type: str
    ) -> Iterator[Meeting]:
        params: dict[str, Any] = {
            "type": meeting_type,
            "page_size": PAGE_SIZE,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "timezone": tz,
        }
        for _ in range(MAX_PAGES):
            body = self._get("/users/me/meetings", access_token, params=params)
            for item in body.get("meetings") or []:
                if isinstance(item, dict):
                    yield meeting_from_api(item)
            token = body.get("next_page_token")
            if not token:
                return
            params = {**params, "next_page_token": token}
        log.warning("zoom meeting list stopped after %d pages", MAX_PAGES)

    def _get(self, path: str, access_token: str, *, params: dict[str, Any] | None = None) -> dict:
        response = self._http.request(
            "GET",
            self._base + path,
            endpoint=path.lstrip("/"),
            params=params,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        status = response.status_code
        code: int | None = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            try:
                code = int(body["code"]) if "code" in body else None
            except (TypeError, ValueError):
                code = None
        if status == 401:
            # 124 is "invalid or expired access token"; any 401 means the same to us.
            raise InvalidAccessToken(f"Zoom refused the access token (HTTP 401, code {code})")
        if status >= 500:
            raise ZoomUnavailable(f"Zoom answered HTTP {status} for {path}")
        if status != 200 or not isinstance(body, dict):
            raise ZoomApiError(f"Zoom answered HTTP {status} (code {code}) for {path}", status=status, code=code)
        return body
