"""A fake Zoom: OAuth (authorization code with PKCE, refresh, revoke) and a slice of REST API v2.

It follows /work/shared/platform-notes.md: single-use refresh tokens, a refresh kills the grant's
older access tokens, tokens only in the Authorization header, loose from/to filtering, opaque
page tokens that expire, and 429s with the headers Zoom sends.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import html
import math
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone as dt_timezone
from http import HTTPStatus
from typing import Any, Callable, Deque
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Response, jsonify, redirect, request

from ._server import Clock, FakeServer, SlidingWindow

ACCESS_TOKEN_TTL = 3599
CODE_TTL = 5 * 60
PAGE_TOKEN_TTL = 15 * 60
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 300
AGENDA_LIST_LIMIT = 250  # Zoom truncates the agenda when listing a user's meetings
SCOPE = "meeting:read user:read"
MEETING_LIST_TYPES = ("scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings")

INVALID_CLIENT = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
INVALID_CODE = {"reason": "Invalid authorization code", "error": "invalid_grant"}
INVALID_REFRESH = {"reason": "Invalid Token!", "error": "invalid_grant"}
UNSUPPORTED_GRANT = {"reason": "Unsupported grant type", "error": "unsupported_grant_type"}
INVALID_REVOKE = {"reason": "Invalid Token!", "error": "invalid_request"}
INVALID_ACCESS = {"code": 124, "message": "Invalid access token."}
EXPIRED_ACCESS = {"code": 124, "message": "Access token is expired."}
RATE_LIMITED = {
    "code": 429,
    "message": "You have reached the maximum per-second allowed calls for this API.",
}

# The stand-in's own pages (consent, errors): plain, readable on a phone, no external assets.
_PAGE_CSS = (
    "body{margin:0;background:#f7f7fa;color:#232333;font:16px/1.5 -apple-system,BlinkMacSystemFont,"
    "'Segoe UI',Roboto,sans-serif}main{max-width:30rem;margin:2rem auto;background:#fff;padding:2rem;"
    "border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.12)}"
    ".logo{font-weight:800;font-size:1.6rem;color:#0b5cff;margin:0 0 1rem;letter-spacing:-.02em}"
    ".logo span{font-size:.8rem;font-weight:600;color:#747487;letter-spacing:0;vertical-align:middle}"
    "h1{font-size:1.3rem;margin:.5rem 0 1rem}ul{padding-left:1.2rem}li{margin:.3rem 0}"
    "code{background:#f0f0f5;border-radius:4px;padding:0 .3rem;font-size:.85em}"
    ".small{color:#747487;font-size:.85rem;overflow-wrap:anywhere}"
    ".choices{display:flex;gap:.75rem;justify-content:flex-end;margin:1.5rem 0 1rem}"
    "button{font:inherit;font-weight:600;border-radius:8px;padding:.55rem 1.4rem;cursor:pointer;"
    "border:1px solid #babacc;background:#fff;color:#232333}"
    ".allow button{background:#0b5cff;border-color:#0b5cff;color:#fff}"
    ".error{color:#b00020}"
)

_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def pkce_challenge(verifier: str) -> str:
    """S256 code challenge for ``verifier``: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _zoom_time(moment: datetime) -> str:
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _json(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    code_challenge: str
    email: str
    issued_at: float
    used: bool = False


@dataclass
class _Grant:
    email: str
    refresh_token: str
    access_tokens: list[str] = field(default_factory=list)
    revoked: bool = False


@dataclass
class _AccessToken:
    grant: _Grant
    expires_at: float
    valid: bool = True
    force_expired: bool = False


@dataclass
class _Meeting:
    data: dict[str, Any]
    start: datetime

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.data["duration"])


@dataclass
class _PageToken:
    email: str
    offset: int
    created_at: float


class FakeZoom(FakeServer):
    """Fake Zoom OAuth server and REST API on one port.

    Knobs (plain attributes, change them any time): ``auto_consent``, ``deny_next``,
    ``allowed_redirect_uris`` (None = any absolute http(s) URL), ``token_delay``, ``api_delay``,
    ``token_ceiling_per_second``, ``api_ceiling_per_second``, ``max_page_size`` (300).
    Records: ``issued_secrets``, ``token_calls``, ``refresh_calls``, ``refresh_count``,
    ``revoked``, ``api_calls``, ``rate_limited_count``.
    """

    def __init__(self, client_id: str, client_secret: str, *, clock: Clock = time.time) -> None:
        super().__init__("fake_zoom", clock)
        self.client_id = client_id
        self.client_secret = client_secret

        self.auto_consent = True
        self.deny_next = False
        self.allowed_redirect_uris: set[str] | None = None
        self.token_delay = 0.0
        self.api_delay = 0.0
        self.token_ceiling_per_second: int | None = None
        self.api_ceiling_per_second: int | None = None
        self.max_page_size = MAX_PAGE_SIZE  # lower it to force pagination on a client

        self.issued_secrets: set[str] = set()
        self.token_calls: list[dict[str, str]] = []
        self.refresh_calls: list[str] = []
        self.refresh_count = 0
        self.revoked: list[str] = []
        self.api_calls: list[tuple[str, str, dict[str, str]]] = []
        self.rate_limited_count = 0

        self._users: dict[str, dict[str, Any]] = {}
        self._meetings: dict[str, list[_Meeting]] = {}
        self._consent_email: str | None = None
        self._codes: dict[str, _Code] = {}
        self._pending_consents: dict[str, tuple[dict[str, str], str]] = {}
        self._refresh_tokens: dict[str, _Grant] = {}
        self._access_tokens: dict[str, _AccessToken] = {}
        self._page_tokens: dict[str, _PageToken] = {}
        self._forced_429: dict[str, Deque[str | None]] = {
            "api": collections.deque(),
            "token": collections.deque(),
        }
        self._windows = {"api": SlidingWindow(), "token": SlidingWindow()}
        self._token_failures: Deque[tuple[int, dict[str, Any]]] = collections.deque()
        self._api_failures: Deque[tuple[int, dict[str, Any]]] = collections.deque()
        self._add_routes()

    # ----------------------------------------------------------------- public API
    @property
    def oauth_url(self) -> str:
        """Base of /oauth/authorize, /oauth/token and /oauth/revoke (same as ``url``)."""
        return self.url

    @property
    def api_url(self) -> str:
        """Base of the REST API: ``url + "/v2"``."""
        return self.url + "/v2"

    def add_user(
        self,
        email: str,
        *,
        first_name: str = "Alice",
        last_name: str = "Example",
        timezone: str = "America/New_York",
    ) -> dict[str, Any]:
        """Create a Zoom user; the first one added is who /oauth/authorize logs in as."""
        ZoneInfo(timezone)  # fail early on a typo
        user = {
            "id": "zu_" + secrets.token_urlsafe(16),
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "display_name": f"{first_name} {last_name}",
            "timezone": timezone,
            "type": 2,
            "account_id": "za_" + secrets.token_urlsafe(16),
            "pmi": 1_000_000_000 + secrets.randbelow(9_000_000_000),
            "status": "active",
            "language": "en-US",
        }
        with self._lock:
            if email in self._users:
                raise ValueError(f"FakeZoom user {email!r} already exists")
            self._users[email] = user
            self._meetings[email] = []
            if self._consent_email is None:
                self._consent_email = email
            return dict(user)

    def consent_as(self, email: str) -> None:
        """Make /oauth/authorize log in as this (already added) user."""
        with self._lock:
            if email not in self._users:
                raise KeyError(f"FakeZoom has no user {email!r}; call add_user() first")
            self._consent_email = email

    def add_meeting(
        self,
        email: str,
        *,
        topic: str,
        start_time: datetime,
        duration: int = 30,
        type: int = 2,  # noqa: A002 - Zoom's field name
        agenda: str = "",
        meeting_id: int | None = None,
        timezone: str = "UTC",
    ) -> dict[str, Any]:
        """Schedule a meeting for a user and return it as Zoom's API shows it."""
        if start_time.tzinfo is None or start_time.utcoffset() is None:
            raise ValueError("start_time must be timezone-aware")
        ZoneInfo(timezone)
        mid = meeting_id if meeting_id is not None else 10**10 + secrets.randbelow(9 * 10**10)
        with self._lock:
            if email not in self._users:
                raise KeyError(f"FakeZoom has no user {email!r}; call add_user() first")
            data = {
                "uuid": base64.b64encode(secrets.token_bytes(16)).decode("ascii"),
                "id": mid,
                "host_id": self._users[email]["id"],
                "topic": topic,
                "type": type,
                "start_time": _zoom_time(start_time),
                "duration": duration,
                "timezone": timezone,
                "agenda": agenda,
                "created_at": _zoom_time(datetime.fromtimestamp(self.clock(), dt_timezone.utc)),
                "join_url": f"https://zoom.example/j/{mid}",
            }
            self._meetings[email].append(_Meeting(data, start_time.astimezone(dt_timezone.utc)))
            return dict(data)

    def remove_meeting(self, email: str, meeting_id: int) -> bool:
        """Delete a meeting (as when its host cancels it); True if there was one."""
        with self._lock:
            before = len(self._meetings.get(email, []))
            self._meetings[email] = [m for m in self._meetings.get(email, []) if m.data["id"] != meeting_id]
            return len(self._meetings[email]) < before

    def issue_tokens(self, email: str) -> dict[str, Any]:
        """Create a grant for ``email`` without the browser dance; returns the /oauth/token body."""
        with self._lock:
            if email not in self._users:
                raise KeyError(f"FakeZoom has no user {email!r}; call add_user() first")
            return self._issue_grant(email)

    def rate_limit_next(
        self, n: int = 1, retry_after: str | None = "1", *, endpoint: str = "api"
    ) -> None:
        """Answer the next ``n`` requests of ``endpoint`` ("api" = /v2/*, "token" =
        /oauth/token) with 429; ``retry_after=None`` leaves the Retry-After header out."""
        if endpoint not in self._forced_429:
            raise ValueError("endpoint must be 'api' or 'token'")
        with self._lock:
            self._forced_429[endpoint].extend([retry_after] * n)

    def fail_next_token(self, status: int, body: dict[str, Any] | None = None, n: int = 1) -> None:
        """Answer the next ``n`` /oauth/token requests with ``status`` and touch no grant."""
        with self._lock:
            self._token_failures.extend([(status, body or self._default_failure(status))] * n)

    def fail_next_api(self, status: int, body: dict[str, Any] | None = None, n: int = 1) -> None:
        """Answer the next ``n`` /v2 requests with ``status`` (checked after rate limits)."""
        with self._lock:
            self._api_failures.extend([(status, body or self._default_failure(status))] * n)

    def expire_access_tokens(self) -> None:
        """Mark every current access token expired; refresh tokens keep working."""
        with self._lock:
            for record in self._access_tokens.values():
                record.force_expired = True

    # ----------------------------------------------------------------- routes
    def _add_routes(self) -> None:
        app = self.app
        app.add_url_rule("/oauth/authorize", view_func=self._authorize, methods=["GET"])
        app.add_url_rule(
            "/oauth/authorize/decision", view_func=self._decision, methods=["POST"]
        )
        app.add_url_rule("/oauth/token", view_func=self._token, methods=["POST"])
        app.add_url_rule("/oauth/revoke", view_func=self._revoke, methods=["POST"])
        self._api_route("/v2/users/me", self._users_me)
        self._api_route("/v2/users/me/meetings", self._list_meetings)
        self._api_route("/v2/meetings/<int:meeting_id>", self._get_meeting)

        @app.errorhandler(404)
        @app.errorhandler(405)
        def _api_errors(error: Any) -> Any:
            if request.path.startswith("/v2/"):
                return _json({"code": error.code, "message": error.description}, error.code)
            return error

    # --- /oauth/authorize
    def _authorize(self) -> Any:
        params = request.args.to_dict()
        problem = self._authorize_problem(params)
        if problem:
            return self._error_page(problem), 400
        with self._lock:
            email = self._consent_email
            if email is None:
                return self._error_page("FakeZoom has no users: call add_user() first"), 400
            if self.auto_consent:
                allow = not self.deny_next
                self.deny_next = False
                return self._finish_consent(params, email, allow)
            consent_id = secrets.token_urlsafe(16)
            self._pending_consents[consent_id] = (params, email)
        return self._consent_page(consent_id, email, params)

    def _decision(self) -> Any:
        consent_id = request.form.get("consent_id", "")
        with self._lock:
            pending = self._pending_consents.pop(consent_id, None)
            if pending is None:
                return self._error_page("Unknown or already answered consent request"), 400
            params, email = pending
            return self._finish_consent(params, email, request.form.get("decision") == "allow")

    def _authorize_problem(self, params: dict[str, str]) -> str | None:
        if params.get("response_type") != "code":
            return f"Invalid response_type {params.get('response_type')!r}: must be 'code'"
        if params.get("client_id") != self.client_id:
            return f"Invalid client_id: {params.get('client_id')!r}"
        uri = params.get("redirect_uri", "")
        parts = urlsplit(uri)
        if not uri or parts.scheme not in ("http", "https") or not parts.netloc:
            return f"Invalid redirect_uri {uri!r} (Zoom error 4709: Invalid redirect)"
        if self.allowed_redirect_uris is not None and uri not in self.allowed_redirect_uris:
            return (
                f"Invalid redirect_uri {uri!r}: it does not match the app's redirect URL "
                "(Zoom error 4709: Invalid redirect)"
            )
        if not params.get("state"):
            return "Missing state"
        if not _CHALLENGE_RE.match(params.get("code_challenge", "")):
            return (
                "Invalid code_challenge: expected base64url(SHA-256(code_verifier)) "
                "without padding (43 characters)"
            )
        if params.get("code_challenge_method") != "S256":
            method = params.get("code_challenge_method")
            return f"Invalid code_challenge_method {method!r}: must be S256"
        return None

    def _finish_consent(self, params: dict[str, str], email: str, allow: bool) -> Response:
        """Redirect back to the app (call under the lock)."""
        if not allow:
            denied = _with_query(
                params["redirect_uri"], error="access_denied", state=params["state"]
            )
            return redirect(denied, 302)
        code = self._new_secret("zcode_")
        self._codes[code] = _Code(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            code_challenge=params["code_challenge"],
            email=email,
            issued_at=self.clock(),
        )
        return redirect(_with_query(params["redirect_uri"], code=code, state=params["state"]), 302)

    @staticmethod
    def _error_page(problem: str) -> str:
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Zoom - Error</title><style>{_PAGE_CSS}</style></head><body><main>"
            "<p class='logo'>zoom <span>stand-in</span></p>"
            f"<h1>Oops! We ran into a problem.</h1><p class='error'>{html.escape(problem)}</p>"
            "</main></body></html>"
        )

    @staticmethod
    def _consent_page(consent_id: str, email: str, params: dict[str, str]) -> str:
        def form(decision: str, label: str) -> str:
            return (
                f'<form method="post" action="/oauth/authorize/decision" class="{decision}">'
                f'<input type="hidden" name="consent_id" value="{html.escape(consent_id)}">'
                f'<input type="hidden" name="decision" value="{decision}">'
                f'<button type="submit" name="button" value="{decision}">{label}</button></form>'
            )

        redirect_host = urlsplit(params["redirect_uri"]).netloc
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Zoom - Authorize</title><style>{_PAGE_CSS}</style></head><body><main>"
            "<p class='logo'>zoom <span>stand-in</span></p>"
            "<h1>Allow this app to use your Zoom account?</h1>"
            f"<p>Signed in as <strong>{html.escape(email)}</strong>.</p>"
            "<p>The app asks to:</p><ul>"
            "<li>see your profile: name, email, time zone <code>user:read</code></li>"
            "<li>see your scheduled meetings <code>meeting:read</code></li></ul>"
            f"<p class='small'>Scopes: {SCOPE}. After you answer, you go back to "
            f"<strong>{html.escape(redirect_host)}</strong>.<br>"
            f"Redirect: {html.escape(params['redirect_uri'])}</p>"
            f"<div class='choices'>{form('deny', 'Deny')}{form('allow', 'Allow')}</div>"
            "<p class='small'>This page is zoombot's stand-in for Zoom's consent page: "
            "nothing here talks to the real Zoom.</p>"
            "</main></body></html>"
        )

    # --- /oauth/token and /oauth/revoke
    def _token(self) -> Response:
        form = request.form.to_dict()
        with self._lock:
            self.token_calls.append(dict(form))
            if form.get("grant_type") == "refresh_token":
                self.refresh_calls.append(form.get("refresh_token", ""))
        self._sleep(self.token_delay)
        limited = self._rate_limited("token")
        if limited is not None:
            return limited
        with self._lock:
            failure = self._token_failures.popleft() if self._token_failures else None
        if failure is not None:
            return _json(failure[1], failure[0])
        if not self._client_authenticated():
            return _json(INVALID_CLIENT, 401)
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                return self._exchange_code(form)
            if grant_type == "refresh_token":
                return self._refresh(form)
        return _json(UNSUPPORTED_GRANT, 400)

    def _exchange_code(self, form: dict[str, str]) -> Response:
        """authorization_code grant (call under the lock). Any presentation burns the code."""
        record = self._codes.get(form.get("code", ""))
        if record is None or record.used:
            return _json(INVALID_CODE, 400)
        record.used = True
        verifier = form.get("code_verifier", "")
        if (
            self.clock() >= record.issued_at + CODE_TTL
            or form.get("redirect_uri") != record.redirect_uri
            or record.client_id != self.client_id
            or not _VERIFIER_RE.match(verifier)
            or not hmac.compare_digest(pkce_challenge(verifier), record.code_challenge)
        ):
            return _json(INVALID_CODE, 400)
        return _json(self._issue_grant(record.email))

    def _refresh(self, form: dict[str, str]) -> Response:
        """refresh_token grant (call under the lock)."""
        presented = form.get("refresh_token", "")
        grant = self._refresh_tokens.get(presented)
        if grant is None or grant.revoked or grant.refresh_token != presented:
            return _json(INVALID_REFRESH, 400)
        for token in grant.access_tokens:
            self._access_tokens[token].valid = False
        grant.refresh_token = self._new_secret("zrt_")
        self._refresh_tokens[grant.refresh_token] = grant
        self.refresh_count += 1
        return _json(self._token_body(grant, self._new_access_token(grant)))

    def _revoke(self) -> Response:
        if not self._client_authenticated():
            return _json(INVALID_CLIENT, 401)
        token = request.form.get("token", "")
        with self._lock:
            record = self._access_tokens.get(token)
            if record is None or not record.valid or record.grant.revoked:
                return _json(INVALID_REVOKE, 400)
            record.grant.revoked = True
            for old in record.grant.access_tokens:
                self._access_tokens[old].valid = False
            self.revoked.append(token)
        return _json({"status": "success"})

    def _client_authenticated(self) -> bool:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return False
        return hmac.compare_digest(auth.username or "", self.client_id) and hmac.compare_digest(
            auth.password or "", self.client_secret
        )

    def _issue_grant(self, email: str) -> dict[str, Any]:
        """New grant with fresh tokens (call under the lock)."""
        grant = _Grant(email=email, refresh_token=self._new_secret("zrt_"))
        self._refresh_tokens[grant.refresh_token] = grant
        return self._token_body(grant, self._new_access_token(grant))

    def _new_access_token(self, grant: _Grant) -> str:
        token = self._new_secret("zat_")
        self._access_tokens[token] = _AccessToken(grant, self.clock() + ACCESS_TOKEN_TTL)
        grant.access_tokens.append(token)
        return token

    def _token_body(self, grant: _Grant, access_token: str) -> dict[str, Any]:
        return {
            "access_token": access_token,
            "token_type": "bearer",
            "refresh_token": grant.refresh_token,
            "expires_in": ACCESS_TOKEN_TTL,
            "scope": SCOPE,
            "api_url": self.url,
        }

    def _new_secret(self, prefix: str) -> str:
        secret = prefix + secrets.token_urlsafe(32)
        self.issued_secrets.add(secret)
        return secret

    # --- /v2
    def _api_route(self, rule: str, handler: Callable[..., Response]) -> None:
        def view(**kwargs: Any) -> Response:
            with self._lock:
                self.api_calls.append((request.method, request.path, request.args.to_dict()))
            self._sleep(self.api_delay)
            limited = self._rate_limited("api")
            if limited is not None:
                return limited
            with self._lock:
                failure = self._api_failures.popleft() if self._api_failures else None
            if failure is not None:
                return _json(failure[1], failure[0])
            email, error = self._bearer_user()
            if error is not None:
                return error
            return handler(email, **kwargs)

        self.app.add_url_rule(rule, endpoint=rule, view_func=view, methods=["GET"])

    def _bearer_user(self) -> tuple[str, Response | None]:
        if "access_token" in request.args:  # Zoom ignores it; we refuse so leaks show up
            return "", _json(INVALID_ACCESS, 401)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with self._lock:
            record = self._access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if record is None or not record.valid or record.grant.revoked:
                return "", _json(INVALID_ACCESS, 401)
            if record.force_expired or self.clock() >= record.expires_at:
                return "", _json(EXPIRED_ACCESS, 401)
            return record.grant.email, None

    def _users_me(self, email: str) -> Response:
        with self._lock:
            return _json(dict(self._users[email]))

    def _get_meeting(self, email: str, meeting_id: int) -> Response:
        with self._lock:
            for meeting in self._meetings[email]:
                if meeting.data["id"] == meeting_id:
                    return _json(dict(meeting.data))
        return _json({"code": 3001, "message": f"Meeting does not exist: {meeting_id}."}, 404)

    def _list_meetings(self, email: str) -> Response:
        args = request.args
        kind = args.get("type", "scheduled")
        if kind not in MEETING_LIST_TYPES:
            return _json({"code": 300, "message": "Invalid type"}, 400)
        try:
            page_size = int(args.get("page_size", DEFAULT_PAGE_SIZE))
        except ValueError:
            return _json({"code": 300, "message": "Invalid field: page_size"}, 400)
        if page_size < 1:
            return _json({"code": 300, "message": "Invalid field: page_size"}, 400)
        page_size = min(page_size, self.max_page_size)
        bounds: dict[str, date | None] = {}
        for name in ("from", "to"):
            raw = args.get(name)
            if raw is None:
                bounds[name] = None
                continue
            try:
                if not _DATE_RE.match(raw):
                    raise ValueError(raw)
                bounds[name] = date.fromisoformat(raw)
            except ValueError:
                return _json({"code": 300, "message": f"Invalid field: {name}"}, 400)

        with self._lock:
            tz_name = args.get("timezone") or self._users[email]["timezone"]
            try:
                tz = ZoneInfo(tz_name)
            except (ZoneInfoNotFoundError, ValueError):
                return _json({"code": 300, "message": f"Invalid timezone: {tz_name}"}, 400)
            now = datetime.fromtimestamp(self.clock(), dt_timezone.utc)
            chosen = [
                m
                for m in self._meetings[email]
                if self._matches_type(m, kind, now) and self._loosely_in(m, tz, bounds)
            ]
            chosen.sort(key=lambda m: (m.start, m.data["id"]))

            offset = 0
            page_token = args.get("next_page_token")
            if page_token:
                record = self._page_tokens.get(page_token)
                if (
                    record is None
                    or record.email != email
                    or self.clock() - record.created_at >= PAGE_TOKEN_TTL
                ):
                    return _json(
                        {"code": 300, "message": "The next page token is invalid or expired."}, 400
                    )
                offset = record.offset
            page = chosen[offset : offset + page_size]
            next_token = ""
            if offset + page_size < len(chosen):
                next_token = secrets.token_urlsafe(24)
                self._page_tokens[next_token] = _PageToken(email, offset + page_size, self.clock())
            return _json(
                {
                    "page_size": page_size,
                    "total_records": len(chosen),
                    "next_page_token": next_token,
                    "page_count": math.ceil(len(chosen) / page_size),
                    "page_number": offset // page_size + 1,
                    "meetings": [self._list_view(m) for m in page],
                }
            )

    @staticmethod
    def _matches_type(meeting: _Meeting, kind: str, now: datetime) -> bool:
        if kind == "scheduled":
            return meeting.data["type"] != 1  # instant meetings are not listed
        if kind == "live":
            return meeting.start <= now < meeting.end
        if kind in ("upcoming", "upcoming_meetings"):
            return meeting.end > now
        return meeting.end <= now  # previous_meetings

    @staticmethod
    def _loosely_in(meeting: _Meeting, tz: ZoneInfo, bounds: dict[str, date | None]) -> bool:
        """from/to by local date, deliberately one day too generous on each side."""
        day = meeting.start.astimezone(tz).date()
        low, high = bounds["from"], bounds["to"]
        if low is not None and day < low - timedelta(days=1):
            return False
        if high is not None and day > high + timedelta(days=1):
            return False
        return True

    @staticmethod
    def _list_view(meeting: _Meeting) -> dict[str, Any]:
        data = dict(meeting.data)
        data["agenda"] = data["agenda"][:AGENDA_LIST_LIMIT]
        return data

    # --- shared helpers
    def _rate_limited(self, group: str) -> Response | None:
        ceiling = self.token_ceiling_per_second if group == "token" else self.api_ceiling_per_second
        with self._lock:
            if self._forced_429[group]:
                retry_after = self._forced_429[group].popleft()
            elif not self._windows[group].admit(self.clock(), ceiling):
                retry_after = "1"
            else:
                return None
            self.rate_limited_count += 1
        response = _json(RATE_LIMITED, 429)
        if retry_after is not None:
            response.headers["Retry-After"] = retry_after
        response.headers["X-RateLimit-Category"] = "Medium"
        response.headers["X-RateLimit-Type"] = "QPS"
        return response

    @staticmethod
    def _default_failure(status: int) -> dict[str, Any]:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        return {"reason": phrase, "error": "server_error"}

    @staticmethod
    def _sleep(seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


__all__ = ["FakeZoom", "pkce_challenge"]
