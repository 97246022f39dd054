"""A fake Slack Web API (the handful of methods zoombot calls) plus response_url endpoints.

Point ``slack_sdk.WebClient(token=..., base_url=fake.api_url)`` at it. It checks the bot token,
decodes form and JSON bodies alike, enforces the Block Kit limits from the platform notes, rate
limits chat.postMessage on request, and lets tests wait for messages and respond() payloads.
"""

from __future__ import annotations

import collections
import copy
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, TypeVar

from flask import Response, g, jsonify, request

from ._server import Clock, FakeServer, SlidingWindow

BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0ZOOMBOT"
RESPONSE_URL_MAX_POSTS = 5
RESPONSE_URL_TTL = 30 * 60
MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")

T = TypeVar("T")
R = TypeVar("R")


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _fail(error: str, status: int = 200, **extra: Any) -> Response:
    return _json({"ok": False, "error": error, **extra}, status)


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def block_problems(blocks: Any, max_blocks: int) -> list[str]:
    """Slack-style complaints about ``blocks`` (empty list = acceptable). Checks the limits in
    the platform notes: block count, section 3000, header 150, button text 75 / url 3000 /
    value 2000, action_id/block_id 255, 25 elements per actions block."""
    if not isinstance(blocks, list):
        return ["blocks must be a JSON array"]
    problems: list[str] = []

    def too_long(value: Any, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            problems.append(f"must be less than {limit + 1} characters [json-pointer:{pointer}]")

    def element(el: Any, pointer: str) -> None:
        if not isinstance(el, dict) or "type" not in el:
            problems.append(f"missing required field: type [json-pointer:{pointer}]")
            return
        too_long(el.get("action_id"), 255, f"{pointer}/action_id")
        if el["type"] == "button":
            too_long(_text_of(el.get("text")), 75, f"{pointer}/text/text")
            too_long(el.get("url"), 3000, f"{pointer}/url")
            too_long(el.get("value"), 2000, f"{pointer}/value")

    if len(blocks) > max_blocks:
        problems.append(f"must be no more than {max_blocks} items [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict) or "type" not in block:
            problems.append(f"missing required field: type [json-pointer:{where}]")
            continue
        too_long(block.get("block_id"), 255, f"{where}/block_id")
        kind = block["type"]
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"must provide either text or fields [json-pointer:{where}]")
            too_long(_text_of(block.get("text")), 3000, f"{where}/text/text")
            for j, fld in enumerate(block.get("fields") or []):
                too_long(_text_of(fld), 2000, f"{where}/fields/{j}/text")
            if "accessory" in block:
                element(block["accessory"], f"{where}/accessory")
        elif kind == "header":
            too_long(_text_of(block.get("text")), 150, f"{where}/text/text")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > 25:
                problems.append(f"must have 1 to 25 elements [json-pointer:{where}/elements]")
            for j, el in enumerate(elements):
                element(el, f"{where}/elements/{j}")
    return problems


@dataclass
class _ResponseUrl:
    created_at: float
    payloads: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[int, str, Any]] = field(default_factory=list)


class FakeSlack(FakeServer):
    """Fake Slack Web API at ``api_url`` and response_url endpoints at ``url + "/response/..."``.

    Knobs: ``api_delay``, ``post_ceiling_per_second``, ``per_channel_per_second``.
    Records: ``calls`` (every Web API request, rejected ones too), ``messages``,
    ``ephemeral_messages``, ``updates``, ``published_views``, ``rate_limited_count``.
    """

    def __init__(
        self,
        bot_token: str = "xoxb-test-bot-token",
        *,
        team_id: str = "T0TEAM1",
        clock: Clock = time.time,
    ) -> None:
        super().__init__("fake_slack", clock)
        self.bot_token = bot_token
        self.team_id = team_id
        # Every workspace that installed the app, by bot token; OAuth installs add more.
        self._tokens: dict[str, str] = {bot_token: team_id}
        self.oauth_client: tuple[str, str] | None = None  # (client_id, client_secret)
        self._install_codes: dict[str, tuple[str, str, str]] = {}
        self._install_as: tuple[str, str] | None = None
        self.installs: list[dict[str, Any]] = []
        # (team of the token used, method, channel or user) for every authorised call.
        self.token_uses: list[tuple[str, str, str]] = []
        self.api_delay = 0.0
        self.post_ceiling_per_second: int | None = None
        self.per_channel_per_second: int | None = None

        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.messages: list[dict[str, Any]] = []
        self.ephemeral_messages: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.published_views: list[dict[str, Any]] = []
        self.rate_limited_count = 0

        self._cond = threading.Condition(self._lock)
        self._version = 0  # bumped on every change a waiter may care about
        self._users: dict[str, dict[str, Any]] = {}
        self._responses: dict[str, _ResponseUrl] = {}
        self._forced_429: dict[str, Deque[str | None]] = collections.defaultdict(collections.deque)
        self._post_window = SlidingWindow()
        self._channel_windows: dict[str, SlidingWindow] = collections.defaultdict(SlidingWindow)
        self._ts_seq = 0
        self._methods: dict[str, Callable[[dict[str, Any]], Response]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "views.publish": self._views_publish,
        }
        self.app.add_url_rule(
            "/api/<method>", view_func=self._dispatch, methods=["GET", "POST"]
        )
        self.app.add_url_rule("/oauth/v2/authorize", view_func=self._oauth_authorize, methods=["GET"])
        self.app.add_url_rule(
            "/response/<response_id>", view_func=self._post_response, methods=["POST"]
        )

    # ----------------------------------------------------------------- public API
    @property
    def api_url(self) -> str:
        """``url + "/api/"``: give it to ``WebClient(base_url=...)``."""
        return self.url + "/api/"

    def add_user(
        self,
        user_id: str,
        *,
        name: str = "alice",
        real_name: str = "Alice Example",
        tz: str = "America/New_York",
        tz_label: str = "Eastern Standard Time",
        tz_offset: int = -18000,
        team_id: str | None = None,
        display_name: str | None = None,
    ) -> dict[str, Any]:
        """Add a workspace member (as users.info returns it); DMs to unknown U-ids fail."""
        user = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": name,
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "is_bot": False,
            "deleted": False,
            "profile": {
                "display_name": name if display_name is None else display_name,
                "real_name": real_name,
            },
        }
        with self._lock:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def install_as(self, team_id: str, user_id: str) -> None:
        """Make the next "Add to Slack" consent install the app into `team_id`, by `user_id`."""
        with self._lock:
            self._install_as = (team_id, user_id)

    def revoke_team(self, team_id: str) -> None:
        """Invalidate every bot token of a workspace (as when the app is uninstalled)."""
        with self._lock:
            for token in [t for t, team in self._tokens.items() if team == team_id]:
                del self._tokens[token]

    def rate_limit_next(self, method: str, n: int = 1, retry_after: str | None = "1") -> None:
        """Answer the next ``n`` calls of Web API ``method`` with 429 ratelimited."""
        with self._lock:
            self._forced_429[method].extend([retry_after] * n)

    def new_response_url(self) -> str:
        """A fresh response_url (takes 5 posts within 30 minutes, like Slack's)."""
        response_id = secrets.token_urlsafe(16)
        with self._lock:
            self._responses[response_id] = _ResponseUrl(created_at=self.clock())
        return f"{self.url}/response/{response_id}"

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Copies, taken at one instant, of ``messages`` (as chat.update left them),
        ``ephemeral_messages`` and ``published_views``: for a viewer that polls."""
        with self._lock:
            return copy.deepcopy(
                {
                    "messages": self.messages,
                    "ephemeral_messages": self.ephemeral_messages,
                    "published_views": self.published_views,
                }
            )

    def responses(self, url: str) -> list[dict[str, Any]]:
        """Payloads accepted so far at this response_url."""
        with self._lock:
            return copy.deepcopy(self._response_entry(url).payloads)

    def wait_for_response(
        self, url: str, timeout: float = 5.0, count: int = 1
    ) -> list[dict[str, Any]]:
        """Block until ``count`` payloads reached ``url``; returns all of them so far."""
        with self._lock:
            entry = self._response_entry(url)
        payloads = self._wait_until(
            lambda: copy.deepcopy(entry.payloads),
            lambda got: got if len(got) >= count else None,
            timeout,
        )
        if payloads is None:
            with self._lock:
                got, rejected = copy.deepcopy(entry.payloads), list(entry.rejected)
            raise AssertionError(
                f"expected {count} post(s) to {url} within {timeout}s, got {len(got)}: {got!r}; "
                f"rejected posts (status, error, body): {rejected!r}; "
                f"chat.postMessage meanwhile: {self._message_summary()}"
            )
        return payloads

    def wait_for_message(
        self,
        channel: str | None = None,
        timeout: float = 5.0,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Block until a chat.postMessage matches and return the earliest match (messages
        posted before the call count). ``channel`` matches the channel as sent (``U0ALICE``)
        or as resolved (``D0ALICE``). ``predicate`` runs outside the lock."""

        def first_match(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
            for message in messages:
                where = (message["channel"], message["channel_id"])
                if channel is not None and channel not in where:
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        found = self._wait_until(lambda: copy.deepcopy(self.messages), first_match, timeout)
        if found is None:
            raise AssertionError(
                f"no chat.postMessage to {channel or 'any channel'} matched within {timeout}s; "
                f"got: {self._message_summary()}; rate limited so far: {self.rate_limited_count}"
            )
        return found

    def wait_for_view(
        self,
        user_id: str | None = None,
        timeout: float = 5.0,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Like wait_for_message, for views.publish records ({"user_id", "view", "hash"})."""

        def first_match(views: list[dict[str, Any]]) -> dict[str, Any] | None:
            for record in views:
                if (user_id is None or record["user_id"] == user_id) and (
                    predicate is None or predicate(record)
                ):
                    return record
            return None

        found = self._wait_until(lambda: copy.deepcopy(self.published_views), first_match, timeout)
        if found is None:
            with self._lock:
                users = [v["user_id"] for v in self.published_views]
            raise AssertionError(
                f"no views.publish for {user_id or 'any user'} matched within {timeout}s; "
                f"published for: {users}"
            )
        return found

    # ----------------------------------------------------------------- waiting helpers
    def _wait_until(
        self, snapshot: Callable[[], T], check: Callable[[T], R | None], timeout: float
    ) -> R | None:
        """Re-run ``check(snapshot())`` whenever state changes, until it returns non-None or
        ``timeout`` real seconds pass. ``snapshot`` runs under the lock, ``check`` outside."""
        deadline = time.monotonic() + timeout
        seen: int | None = None
        while True:
            with self._cond:
                if seen is not None:
                    self._cond.wait_for(
                        lambda: self._version != seen, max(0.0, deadline - time.monotonic())
                    )
                seen = self._version
                data = snapshot()
            result = check(data)
            if result is not None or time.monotonic() >= deadline:
                return result

    def _changed(self) -> None:
        """Wake waiters (call under the lock)."""
        self._version += 1
        self._cond.notify_all()

    def _message_summary(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(m["channel"], (m["text"] or "")[:80]) for m in self.messages]

    def _response_entry(self, url: str) -> _ResponseUrl:
        response_id = url.rstrip("/").rsplit("/", 1)[-1]
        try:
            return self._responses[response_id]
        except KeyError:
            raise KeyError(f"{url!r} was not made by this FakeSlack's new_response_url()") from None

    # ----------------------------------------------------------------- Web API
    def _dispatch(self, method: str) -> Response:
        params, body_error = self._decode_params()
        if method == "oauth.v2.access":
            return self._oauth_access(params)
        form_token = params.pop("token", None)
        with self._lock:
            self.calls.append((method, copy.deepcopy(params)))
        if self.api_delay > 0:
            time.sleep(self.api_delay)
        handler = self._methods.get(method)
        if handler is None:
            return _fail("unknown_method", 404)
        auth_error = self._auth_error(form_token)
        if auth_error:
            return _fail(auth_error)
        with self._lock:
            target = str(params.get("channel") or params.get("user") or params.get("user_id") or "")
            self.token_uses.append((self._team(), method, target))
        limited = self._rate_limited(method, params)
        if limited is not None:
            return limited
        if body_error:
            return _fail(body_error)
        return handler(params)

    def _decode_params(self) -> tuple[dict[str, Any], str | None]:
        params: dict[str, Any] = request.args.to_dict()
        if request.is_json:
            raw = request.get_data()
            body = request.get_json(silent=True) if raw.strip() else {}
            if not isinstance(body, dict):
                return params, "invalid_json"
            body.pop("token", None)  # Slack takes tokens from the header or a form, not JSON
            params.update(body)
        else:
            params.update(request.form.to_dict())
        for key in _JSON_FIELDS:
            value = params.get(key)
            if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    pass  # left as a string; the method answers invalid_blocks_format
        return params, None

    def _auth_error(self, form_token: str | None) -> str | None:
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return "not_authed" if not token.strip() else "invalid_auth"
            return self._accept(token.strip())
        if form_token is None or form_token == "":
            return "not_authed"
        return self._accept(form_token)

    def _accept(self, token: str) -> str | None:
        with self._lock:
            team = next((t for known, t in self._tokens.items() if secrets.compare_digest(known, token)), None)
        if team is None:
            return "invalid_auth"
        g.fake_slack_team = team
        return None

    def _team(self) -> str:
        """The workspace whose token authorised the current request."""
        return getattr(g, "fake_slack_team", self.team_id)

    def _member(self, user_id: str) -> dict[str, Any] | None:
        """A user of the calling workspace (call under the lock): others are invisible."""
        user = self._users.get(user_id)
        return user if user is not None and user["team_id"] == self._team() else None

    def _oauth_authorize(self) -> Response:
        args = request.args
        if self.oauth_client is None or args.get("client_id") != self.oauth_client[0]:
            return Response("invalid_client_id", status=400)
        redirect_uri, state = args.get("redirect_uri"), args.get("state", "")
        if not redirect_uri:
            return Response("bad_redirect_uri", status=400)
        with self._lock:
            if self._install_as is None:
                return Response("no workspace to install into: call install_as()", status=400)
            code = "slackcode_" + secrets.token_urlsafe(16)
            self._install_codes[code] = (*self._install_as, redirect_uri)
        sep = "&" if "?" in redirect_uri else "?"
        from urllib.parse import urlencode

        return Response(status=302, headers={"Location": f"{redirect_uri}{sep}{urlencode({'code': code, 'state': state})}"})

    def _oauth_access(self, params: dict[str, Any]) -> Response:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        if request.authorization is not None:
            client_id, client_secret = request.authorization.username, request.authorization.password
        if self.oauth_client is None or (client_id, client_secret) != self.oauth_client:
            return _fail("invalid_client_id")
        with self._lock:
            entry = self._install_codes.pop(str(params.get("code") or ""), None)
            if entry is None:
                return _fail("invalid_code")
            team_id, user_id, _redirect = entry
            token = f"xoxb-{team_id}-" + secrets.token_urlsafe(18)
            self._tokens[token] = team_id
            self.installs.append({"team_id": team_id, "user_id": user_id})
        return _json({
            "ok": True, "app_id": APP_ID, "authed_user": {"id": user_id},
            "scope": "commands,chat:write,im:write,users:read", "token_type": "bot",
            "access_token": token, "bot_user_id": BOT_USER_ID,
            "team": {"id": team_id, "name": f"Team {team_id}"}, "enterprise": None,
            "is_enterprise_install": False,
        })

    def _rate_limited(self, method: str, params: dict[str, Any]) -> Response | None:
        with self._lock:
            if self._forced_429[method]:
                retry_after = self._forced_429[method].popleft()
            elif method == "chat.postMessage" and not self._admit_post(params):
                retry_after = "1"
            else:
                return None
            self.rate_limited_count += 1
        headers = {} if retry_after is None else {"Retry-After": retry_after}
        return _json({"ok": False, "error": "ratelimited"}, 429, headers)

    def _admit_post(self, params: dict[str, Any]) -> bool:
        """Sliding 1-second windows for chat.postMessage (call under the lock)."""
        now = self.clock()
        channel_window = self._channel_windows[self._dm_id(str(params.get("channel", "")))]
        if self._post_window.full(now, self.post_ceiling_per_second) or channel_window.full(
            now, self.per_channel_per_second
        ):
            return False
        if self.post_ceiling_per_second is not None:
            self._post_window.add(now)
        if self.per_channel_per_second is not None:
            channel_window.add(now)
        return True

    @staticmethod
    def _dm_id(channel: str) -> str:
        return "D" + channel[1:] if channel[:1] in ("U", "W") else channel

    def _resolve_channel(self, channel: str) -> str | None:
        """Channel id a message lands in, or None for an unknown user (call under the lock)."""
        if channel[:1] in ("U", "W"):
            return self._dm_id(channel) if self._member(channel) is not None else None
        return channel

    def _next_ts(self) -> str:
        self._ts_seq += 1
        return f"{int(self.clock())}.{self._ts_seq:06d}"

    def _content_error(self, params: dict[str, Any], max_blocks: int) -> Response | None:
        blocks = params.get("blocks")
        if blocks is not None:
            if not isinstance(blocks, list):
                return _fail("invalid_blocks_format")
            problems = block_problems(blocks, max_blocks)
            if problems:
                messages = [f"[ERROR] {p}" for p in problems]
                return _fail("invalid_blocks", response_metadata={"messages": messages})
        if not params.get("text") and not blocks and not params.get("attachments"):
            return _fail("no_text")
        return None

    def _message_body(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "text": params.get("text") or "",
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key) is not None:
                message[key] = params[key]
        return message

    def _auth_test(self, params: dict[str, Any]) -> Response:
        return _json(
            {
                "ok": True,
                "url": "https://testteam.slack.com/",
                "team": "Test Team",
                "user": "zoombot",
                "team_id": self._team(),
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        )

    def _users_info(self, params: dict[str, Any]) -> Response:
        with self._lock:
            user = self._member(str(params.get("user", "")))
            if user is None:
                return _fail("user_not_found")
            return _json({"ok": True, "user": copy.deepcopy(user)})

    def _post_message(self, params: dict[str, Any]) -> Response:
        channel = params.get("channel")
        if not channel:
            return _fail("channel_not_found")
        error = self._content_error(params, MESSAGE_MAX_BLOCKS)
        if error is not None:
            return error
        with self._lock:
            resolved = self._resolve_channel(str(channel))
            if resolved is None:
                return _fail("channel_not_found")
            ts = self._next_ts()
            message = self._message_body(params, ts)
            self.messages.append(
                {
                    "channel": channel,
                    "channel_id": resolved,
                    "text": params.get("text"),
                    "blocks": params.get("blocks"),
                    "ts": ts,
                    "thread_ts": params.get("thread_ts"),
                    "team": self._team(),
                    "metadata": params.get("metadata"),
                }
            )
            self._changed()
        return _json({"ok": True, "channel": resolved, "ts": ts, "message": message})

    def _post_ephemeral(self, params: dict[str, Any]) -> Response:
        channel, user = params.get("channel"), params.get("user")
        if not channel:
            return _fail("channel_not_found")
        error = self._content_error(params, MESSAGE_MAX_BLOCKS)
        if error is not None:
            return error
        with self._lock:
            if not user or user not in self._users:
                return _fail("user_not_found")
            resolved = self._resolve_channel(str(channel))
            if resolved is None:
                return _fail("channel_not_found")
            ts = self._next_ts()
            self.ephemeral_messages.append(
                {
                    "channel": channel,
                    "channel_id": resolved,
                    "user": user,
                    "text": params.get("text"),
                    "blocks": params.get("blocks"),
                    "message_ts": ts,
                    "thread_ts": params.get("thread_ts"),
                }
            )
            self._changed()
        return _json({"ok": True, "message_ts": ts})

    def _update(self, params: dict[str, Any]) -> Response:
        channel, ts = str(params.get("channel") or ""), params.get("ts")
        if not channel:
            return _fail("channel_not_found")
        if not ts:
            return _fail("message_not_found")
        error = self._content_error(params, MESSAGE_MAX_BLOCKS)
        if error is not None:
            return error
        with self._lock:
            resolved = self._resolve_channel(channel)
            target = next(
                (m for m in self.messages if m["channel_id"] == resolved and m["ts"] == ts), None
            )
            if target is None:
                return _fail("message_not_found")
            for key in ("text", "blocks"):
                if params.get(key) is not None:
                    target[key] = params[key]
            self.updates.append(
                {
                    "channel": channel,
                    "ts": ts,
                    "text": params.get("text"),
                    "blocks": params.get("blocks"),
                }
            )
            self._changed()
            body = {
                "ok": True,
                "channel": resolved,
                "ts": ts,
                "text": target["text"] or "",
                "message": self._message_body({**params, "text": target["text"]}, ts),
            }
        return _json(body)

    def _conversations_open(self, params: dict[str, Any]) -> Response:
        if params.get("channel"):
            return _json({"ok": True, "channel": {"id": params["channel"]}})
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            return _fail("users_list_not_supplied")
        with self._lock:
            if any(u not in self._users for u in users):
                return _fail("user_not_found")
        if len(users) == 1:
            return _json({"ok": True, "channel": {"id": self._dm_id(users[0])}})
        group = "G" + "".join(sorted(u[1:] for u in users))[:10]
        return _json({"ok": True, "channel": {"id": group}})

    def _conversations_history(self, params: dict[str, Any]) -> Response:
        """Messages of a channel the caller's workspace can see, newest first."""
        channel = str(params.get("channel") or "")
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        with self._lock:
            found = [
                {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": m["text"] or "", "ts": m["ts"],
                 **({"metadata": m["metadata"]} if m.get("metadata") and params.get("include_all_metadata") else {})}
                for m in self.messages
                if m["channel_id"] == channel and m.get("team", self._team()) == self._team() and float(m["ts"]) >= oldest
            ]
        if not found and channel[:1] != "D":
            return _fail("channel_not_found")
        return _json({"ok": True, "messages": list(reversed(found))[:limit], "has_more": False})

    def _views_publish(self, params: dict[str, Any]) -> Response:
        user_id, view = params.get("user_id"), params.get("view")
        if not user_id or not isinstance(view, dict):
            return _fail("invalid_arguments")
        if view.get("type") != "home":
            messages = ["[ERROR] must be 'home' [json-pointer:/view/type]"]
            return _fail("invalid_arguments", response_metadata={"messages": messages})
        problems = block_problems(view.get("blocks", []), VIEW_MAX_BLOCKS)
        if problems:
            messages = [f"[ERROR] {p.replace('pointer:/', 'pointer:/view/')}" for p in problems]
            return _fail("invalid_arguments", response_metadata={"messages": messages})
        with self._lock:
            if user_id not in self._users:
                return _fail("user_not_found")
            self.published_views.append(
                {"user_id": user_id, "view": copy.deepcopy(view), "hash": params.get("hash")}
            )
            self._changed()
        published = {
            "id": "V" + secrets.token_hex(5).upper(),
            "team_id": self.team_id,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "private_metadata": "",
            "callback_id": "",
            "hash": secrets.token_hex(8),
            **view,
        }
        return _json({"ok": True, "view": published})

    # ----------------------------------------------------------------- response_url
    def _post_response(self, response_id: str) -> Response:
        if self.api_delay > 0:
            time.sleep(self.api_delay)
        payload = request.get_json(silent=True)
        with self._lock:
            entry = self._responses.get(response_id)
            if entry is None:
                return _fail("no_service", 404)
            status, error = self._response_problem(entry, payload)
            if error is not None:
                entry.rejected.append((status, error, payload))
                self._changed()
                return _fail(error, status)
            entry.payloads.append(copy.deepcopy(payload))
            self._changed()
        return _json({"ok": True})

    def _response_problem(self, entry: _ResponseUrl, payload: Any) -> tuple[int, str | None]:
        if self.clock() - entry.created_at > RESPONSE_URL_TTL:
            return 404, "expired_url"
        if len(entry.payloads) >= RESPONSE_URL_MAX_POSTS:
            return 404, "used_url"
        if not isinstance(payload, dict):
            return 400, "invalid_payload"
        blocks = payload.get("blocks")
        if blocks is not None and block_problems(blocks, MESSAGE_MAX_BLOCKS):
            return 400, "invalid_blocks"
        if not (payload.get("text") or blocks or payload.get("attachments")) and not payload.get(
            "delete_original"
        ):
            return 400, "no_text"
        return 200, None


__all__ = ["FakeSlack", "block_problems"]
