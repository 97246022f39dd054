"""Connecting and disconnecting a Slack user's Zoom account."""
from __future__ import annotations

import enum
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from storage.grants import GrantRecord, GrantStore, NewTokens
from storage.states import OAuthStateStore, StateCheck
from zoom.api import ZoomApi
from zoom.errors import GrantRevoked, ZoomError, ZoomUnavailable
from zoom.oauth import ZoomOAuth, new_code_verifier

from storage.crypto import EncryptionKeyError, TokenCipher

from .clock import Clock
from .limits import CONNECT_LINK_LIFETIME

log = logging.getLogger(__name__)


class CallbackResult(enum.Enum):
    """Why a callback ended the way it did; each one has its own page and status."""

    CONNECTED = "connected"
    DENIED = "denied"  # the user pressed Decline at Zoom
    ZOOM_ERROR = "zoom_error"  # Zoom sent some other error instead of a code
    MISSING_STATE = "missing_state"
    UNKNOWN_STATE = "unknown_state"
    EXPIRED_STATE = "expired_state"
    USED_STATE = "used_state"
    MISSING_CODE = "missing_code"
    CODE_REJECTED = "code_rejected"
    ZOOM_UNAVAILABLE = "zoom_unavailable"


@dataclass(frozen=True)
class CallbackOutcome:
    result: CallbackResult
    grant: GrantRecord | None = None


_STATE_RESULTS = {
    StateCheck.UNKNOWN: CallbackResult.UNKNOWN_STATE,
    StateCheck.EXPIRED: CallbackResult.EXPIRED_STATE,
    StateCheck.USED: CallbackResult.USED_STATE,
}


class ConnectService:
    def __init__(
        self,
        *,
        grants: GrantStore,
        states: OAuthStateStore,
        oauth: ZoomOAuth,
        api: ZoomApi,
        clock: Clock,
        cipher: TokenCipher,
        public_url: str,
    ) -> None:
        self._grants = grants
        self._states = states
        self._oauth = oauth
        self._api = api
        self._clock = clock
        self._cipher = cipher
        self._public_url = public_url.rstrip("/")

    def authorize_url(self, *, team_id: str, user_id: str, enterprise_id: str = "") -> str:
        """A fresh Zoom consent URL, good for one use within the state lifetime."""
        verifier = new_code_verifier()
        state = self._states.issue(
            team_id=team_id, user_id=user_id, enterprise_id=enterprise_id, code_verifier=verifier, now=self._clock()
        )
        return self._oauth.authorize_url(state=state, verifier=verifier)

    def connect_link(self, *, team_id: str, user_id: str, enterprise_id: str = "") -> str:
        """A link for messages that may be read much later (DMs): it opens our own
        /zoom/oauth/start, which makes a fresh state and sends the browser on to Zoom.

        The link is an encrypted, timestamped (Fernet) token naming the Slack user, valid
        for CONNECT_LINK_LIFETIME; it grants nothing by itself.
        """
        payload = json.dumps({"e": enterprise_id, "t": team_id, "u": user_id}, separators=(",", ":"))
        return f"{self._public_url}/zoom/oauth/start?{urlencode({'t': self._cipher.encrypt_at(payload, now=self._clock())})}"

    def open_connect_link(self, token: str) -> str | None:
        """The Zoom consent URL for a connect link, or None if it is forged or too old."""
        try:
            payload = json.loads(
                self._cipher.decrypt_fresh(token, ttl=CONNECT_LINK_LIFETIME, now=self._clock())
            )
            team_id, user_id, enterprise_id = str(payload["t"]), str(payload["u"]), str(payload.get("e") or "")
        except (EncryptionKeyError, ValueError, KeyError, TypeError):
            return None
        if not team_id or not user_id:
            return None
        return self.authorize_url(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id)

    def complete(self, *, state: str | None, code: str | None, error: str | None) -> CallbackOutcome:
        """Finish an authorization from the callback's query string, one check at a time."""
        now = self._clock()
        if error:
            if state:
                self._states.consume(state, now=now)  # a declined link is used up too
            if error == "access_denied":
                return CallbackOutcome(CallbackResult.DENIED)
            return CallbackOutcome(CallbackResult.ZOOM_ERROR)
        if not state:
            return CallbackOutcome(CallbackResult.MISSING_STATE)
        check, pending = self._states.consume(state, now=now)
        if check is not StateCheck.OK or pending is None:
            return CallbackOutcome(_STATE_RESULTS.get(check, CallbackResult.UNKNOWN_STATE))
        if not code:
            return CallbackOutcome(CallbackResult.MISSING_CODE)
        try:
            tokens = self._oauth.exchange_code(code=code, verifier=pending.code_verifier)
        except GrantRevoked as exc:
            log.info("zoom refused an authorization code (%s)", exc.error)
            return CallbackOutcome(CallbackResult.CODE_REJECTED)
        except ZoomUnavailable as exc:
            log.warning("zoom token endpoint unavailable during connect: %s", exc)
            return CallbackOutcome(CallbackResult.ZOOM_UNAVAILABLE)
        try:
            me = self._api.get_me(tokens.access_token)
        except ZoomError as exc:
            log.warning("could not read the zoom user during connect: %s", exc)
            return CallbackOutcome(CallbackResult.ZOOM_UNAVAILABLE)
        grant = self._grants.save(
            enterprise_id=pending.enterprise_id,
            team_id=pending.team_id,
            user_id=pending.slack_user_id,
            zoom_user_id=me.id,
            zoom_email=me.email,
            zoom_account_id=me.account_id or "",
            tokens=NewTokens(tokens.access_token, tokens.refresh_token, tokens.expires_at, tokens.scope),
            now=self._clock(),
        )
        log.info("connected slack user %s/%s to zoom user %s", pending.team_id, pending.slack_user_id, me.id)
        return CallbackOutcome(CallbackResult.CONNECTED, grant)

    def disconnect(self, *, team_id: str, user_id: str, enterprise_id: str = "") -> tuple[GrantRecord | None, bool]:
        """Delete the grant here and revoke it at Zoom.

        Returns (the deleted grant or None, whether Zoom confirmed the revocation). The
        grant is deleted even when Zoom cannot be reached: the user asked for it to go.
        """
        grant = self._grants.delete(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id)
        if grant is None:
            return None, False
        if grant.access_token is None:
            return grant, True
        try:
            return grant, self._oauth.revoke(grant.access_token)
        except ZoomUnavailable as exc:
            log.warning("could not revoke grant %s at zoom: %s", grant.id, exc)
            return grant, False
