"""Zoom OAuth for user-managed apps: authorize URL with PKCE, code exchange, refresh, revoke."""
from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable
from urllib.parse import urlencode

import requests

from .errors import GrantRevoked, ZoomUnavailable
from .http import ZoomHttp
from .models import TokenSet

log = logging.getLogger(__name__)


def new_code_verifier() -> str:
    """A PKCE code verifier: 43 to 128 characters of the unreserved set (RFC 7636)."""
    return secrets.token_urlsafe(64)[:96]


def code_challenge(verifier: str) -> str:
    """The S256 challenge: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class ZoomOAuthConfig:
    client_id: str
    client_secret: str
    oauth_url: str  # e.g. https://zoom.us
    redirect_uri: str

    def __repr__(self) -> str:
        return f"ZoomOAuthConfig(client_id={self.client_id!r}, oauth_url={self.oauth_url!r})"


class ZoomOAuth:
    """Talks to Zoom's /oauth endpoints. Every 4xx from the token endpoint is GrantRevoked."""

    def __init__(
        self,
        config: ZoomOAuthConfig,
        http: ZoomHttp,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._config = config
        self._http = http
        self._now = now
        self._base = config.oauth_url.rstrip("/")

    def authorize_url(self, *, state: str, verifier: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._config.client_id,
                "redirect_uri": self._config.redirect_uri,
                "state": state,
                "code_challenge": code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        return f"{self._base}/oauth/authorize?{query}"

    def exchange_code(self, *, code: str, verifier: str) -> TokenSet:
        return self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self._config.redirect_uri,
                "code_verifier": verifier,
            }
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        """Trade a refresh token for new tokens. The old refresh token dies at Zoom."""
        return self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def revoke(self, access_token: str) -> bool:
        """Revoke a grant at Zoom. True when Zoom confirmed or the token was already dead."""
        response = self._http.request(
            "POST", f"{self._base}/oauth/revoke", endpoint="oauth/revoke", data={"token": access_token}, auth=self._auth()
        )
        if response.status_code == 200:
            return True
        if 400 <= response.status_code < 500:
            return True  # Zoom no longer knows the token: nothing left to revoke
        raise ZoomUnavailable(f"Zoom's revoke endpoint answered HTTP {response.status_code}")

    def _auth(self) -> tuple[str, str]:
        return (self._config.client_id, self._config.client_secret)

    def _token_request(self, form: dict[str, str]) -> TokenSet:
        started = self._now()
        response = self._http.request(
            "POST", f"{self._base}/oauth/token", endpoint="oauth/token", data=form, auth=self._auth()
        )
        if 400 <= response.status_code < 500:
            error, reason = _error_fields(response)
            raise GrantRevoked(
                f"Zoom refused the {form['grant_type']} request: HTTP {response.status_code} {error or ''} {reason or ''}".rstrip(),
                status=response.status_code,
                error=error,
            )
        if response.status_code != 200:
            raise ZoomUnavailable(f"Zoom's token endpoint answered HTTP {response.status_code}")
        try:
            body = response.json()
            access = str(body["access_token"])
            refresh = str(body["refresh_token"])
            expires_in = int(body.get("expires_in") or 3599)
        except (ValueError, KeyError, TypeError):
            raise ZoomUnavailable("Zoom's token endpoint sent an unreadable answer") from None
        # Count the lifetime from before the request went out, so it is never overestimated.
        return TokenSet(
            access_token=access,
            refresh_token=refresh,
            expires_at=started + timedelta(seconds=expires_in),
            scope=str(body.get("scope") or ""),
        )


def _error_fields(response: requests.Response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    reason = body.get("reason")
    return (str(error) if error else None, str(reason) if reason else None)
