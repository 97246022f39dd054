"""Keeping a grant's access token valid: refresh once, under lock, save before use.

Zoom's refresh tokens are single use and a refresh also kills the previous access
token. So a refresh happens only while holding the grant's lock (in this process and
in the database), the row is read again after the lock is taken (someone may have just
refreshed it), and the new tokens are committed before anyone uses them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, TypeVar

from storage.grants import GrantRecord, GrantStore, NewTokens
from zoom.errors import GrantRevoked, InvalidAccessToken, ZoomUnavailable
from zoom.oauth import ZoomOAuth

from .clock import Clock
from .metrics import REFRESHES
from .limits import REFRESH_MARGIN, REFRESH_RETRY_BASE, REFRESH_RETRY_MAX

log = logging.getLogger(__name__)
T = TypeVar("T")


class NotConnected(Exception):
    """The Slack user has no Zoom grant."""


class NeedsReconnect(Exception):
    """The grant exists but Zoom refused it: the user must connect again."""

    def __init__(self, grant: GrantRecord) -> None:
        super().__init__("the Zoom connection needs to be renewed")
        self.grant = grant


def needs_refresh(grant: GrantRecord, now: datetime, margin: timedelta = REFRESH_MARGIN) -> bool:
    """Pure: does this grant's access token need refreshing at `now`?"""
    if grant.expires_at is None:
        return True
    return grant.expires_at - now <= margin


@dataclass(frozen=True)
class RefreshOutcome:
    grant: GrantRecord
    refreshed: bool  # False when the token was still fresh, or someone else refreshed it


class TokenManager:
    """Hands out valid access tokens and performs every refresh."""

    def __init__(
        self,
        store: GrantStore,
        oauth: ZoomOAuth,
        *,
        clock: Clock,
        on_dead_grant: Callable[[GrantRecord], None] | None = None,
    ) -> None:
        self._store = store
        self._oauth = oauth
        self._clock = clock
        self._on_dead_grant = on_dead_grant

    def with_token(self, grant: GrantRecord, call: Callable[[str], T]) -> T:
        """Run `call(access_token)`; on 401/124 refresh (or pick up a refresh) and retry once."""
        if not grant.active:
            raise NeedsReconnect(grant)
        if needs_refresh(grant, self._clock()):
            grant = self.refresh(grant.id).grant
        token = grant.access_token
        assert token is not None
        try:
            return call(token)
        except InvalidAccessToken:
            log.info("zoom refused the access token of grant %s; refreshing", grant.id)
            grant = self.refresh(grant.id, stale_access_token=token).grant
            assert grant.access_token is not None
            return call(grant.access_token)

    def refresh(
        self,
        grant_id: int,
        *,
        stale_access_token: str | None = None,
        skip_locked: bool = False,
        margin: timedelta = REFRESH_MARGIN,
    ) -> RefreshOutcome:
        """Refresh one grant if it still needs it, under its lock.

        With `stale_access_token`, refresh unless the stored token already differs from it
        (then someone else refreshed and their token is used). Raises NotConnected,
        NeedsReconnect, or ZoomUnavailable (transient: nothing changed but a retry time).
        With `skip_locked`, returns at once (refreshed=False) when another holds the grant.
        `margin`: how close to expiry counts as "needs refreshing" (the sweep looks further ahead).
        """
        now = self._clock()
        dead: GrantRecord | None = None
        transient: ZoomUnavailable | None = None
        with self._store.lock(grant_id, now=now, skip_locked=skip_locked) as locked:
            if locked is None:
                current = self._store.get(grant_id)
                if current is None:
                    raise NotConnected()
                return RefreshOutcome(current, refreshed=False)
            grant = locked.record
            if not grant.active or grant.refresh_token is None:
                raise NeedsReconnect(grant)
            if stale_access_token is not None:
                if grant.access_token != stale_access_token:
                    return RefreshOutcome(grant, refreshed=False)
            elif not needs_refresh(grant, now, margin):
                return RefreshOutcome(grant, refreshed=False)
            try:
                tokens = self._oauth.refresh(grant.refresh_token)
            except GrantRevoked as exc:
                log.warning("zoom refused the refresh token of grant %s (%s); marking it for reconnect", grant_id, exc.error)
                dead = locked.mark_needs_reconnect()
                REFRESHES.labels("dead").inc()
            except ZoomUnavailable as exc:
                # Raised only after the transaction commits, so the postponement is kept.
                delay = min(REFRESH_RETRY_MAX, REFRESH_RETRY_BASE * (2 ** min(locked.failures, 8)))
                locked.postpone(now + delay)
                transient = exc
                REFRESHES.labels("postponed").inc()
            else:
                # Saved (and committed as the lock is released) before anyone uses them.
                updated = locked.save_tokens(
                    NewTokens(tokens.access_token, tokens.refresh_token, tokens.expires_at, tokens.scope)
                )
                REFRESHES.labels("refreshed").inc()
                log.info("refreshed zoom grant %s; valid until %s", grant_id, tokens.expires_at.isoformat())
        if transient is not None:
            raise transient
        if dead is not None:
            self._notify_dead(dead)
            raise NeedsReconnect(dead)
        return RefreshOutcome(updated, refreshed=True)

    def _notify_dead(self, grant: GrantRecord) -> None:
        if self._on_dead_grant is None:
            return
        try:
            self._on_dead_grant(grant)
        except Exception:  # a failed notice must not hide the real outcome from the caller
            log.exception("could not tell the user of grant %s that it needs reconnecting", grant.id)
