"""Sends Slack-signed requests (slash commands, block actions, events) to the bot under test."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from .slack import APP_ID, BOT_USER_ID, FakeSlack

VERIFICATION_TOKEN = "deprecated-verification-token"
TEAM_DOMAIN = "testteam"


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**13)}.{secrets.token_hex(16)}"


class SlackRequestSender:
    """Signs bodies with the app's signing secret and POSTs them to ``bot_url + "/slack/events"``.

    Timestamps default to the real ``time.time()`` (Bolt checks them against the real clock),
    not to ``fake_slack.clock``.
    """

    def __init__(
        self, bot_url: str, signing_secret: str, fake_slack: FakeSlack, *, timeout: float = 10.0
    ) -> None:
        self.events_url = bot_url.rstrip("/") + "/slack/events"
        self.verifier = SignatureVerifier(signing_secret)
        self.fake_slack = fake_slack
        self.timeout = timeout
        self.session = requests.Session()

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    def raw(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """POST ``body`` signed (or with the given ``signature``, e.g. a bad one) at
        ``timestamp`` (default now; pass an old one to test the 5-minute rule)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        if signature is None:
            signature = self.verifier.generate_signature(timestamp=ts, body=body)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or "",
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(headers or {}),
        }
        return self.session.post(
            self.events_url, data=body, headers=all_headers, timeout=self.timeout
        )

    def command(
        self,
        text: str,
        *,
        user_id: str = "U0ALICE",
        team_id: str | None = None,
        command: str = "/zoom",
        user_name: str = "alice",
        channel_id: str = "C0GENERAL",
        channel_name: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> tuple[requests.Response, str]:
        """Send a slash command; returns (the bot's HTTP response, the command's response_url)."""
        response_url = self.fake_slack.new_response_url()
        if channel_name is None:
            channel_name = "directmessage" if channel_id.startswith("D") else "general"
        fields = [
            ("token", VERIFICATION_TOKEN),
            ("team_id", team_id or self.fake_slack.team_id),
            ("team_domain", TEAM_DOMAIN),
            ("channel_id", channel_id),
            ("channel_name", channel_name),
            ("user_id", user_id),
            ("user_name", user_name),
            ("command", command),
            ("text", text),
            ("api_app_id", APP_ID),
            ("is_enterprise_install", "false"),
            ("response_url", response_url),
            ("trigger_id", _trigger_id()),
        ]
        body = urlencode(fields).encode("utf-8")
        response = self.raw(
            body, "application/x-www-form-urlencoded", timestamp=timestamp, signature=signature
        )
        return response, response_url

    def action(
        self,
        payload: dict[str, Any],
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        """Send an interactivity payload as Slack does: form body ``payload=<json>``."""
        body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("utf-8")
        return self.raw(
            body, "application/x-www-form-urlencoded", timestamp=timestamp, signature=signature
        )

    def block_action(
        self,
        action_id: str,
        *,
        user_id: str = "U0ALICE",
        user_name: str = "alice",
        value: str | None = None,
        url: str | None = None,
        block_id: str | None = None,
        team_id: str | None = None,
        channel_id: str = "C0GENERAL",
        response_url: bool | str = True,
        container: dict[str, Any] | None = None,
    ) -> tuple[requests.Response, str | None]:
        """Click a button. With ``response_url`` True (a message button) a fresh response_url is
        made; pass False for a Home-tab button (view container, no response_url) or a str to
        reuse one. Returns (the bot's HTTP response, the response_url or None)."""
        team = team_id or self.fake_slack.team_id
        now = time.time()
        message_ts = f"{int(now) - 60}.000100"
        if response_url is True:
            response_url = self.fake_slack.new_response_url()
        elif response_url is False:
            response_url = None
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id or secrets.token_urlsafe(4),
            "type": "button",
            "text": {"type": "plain_text", "text": "Button", "emoji": True},
            "action_ts": f"{now:.6f}",
        }
        if value is not None:
            action["value"] = value
        if url is not None:
            action["url"] = url
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team},
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": _trigger_id(),
            "team": {"id": team, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [action],
        }
        if response_url is not None:
            payload["container"] = container or {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": channel_id, "name": "general"}
            payload["message"] = {
                "type": "message",
                "user": BOT_USER_ID,
                "ts": message_ts,
                "text": "",
                "blocks": [],
            }
            payload["response_url"] = response_url
        else:
            view_id = "V0HOME" + user_id[1:]
            payload["container"] = container or {"type": "view", "view_id": view_id}
            payload["view"] = {
                "id": view_id,
                "team_id": team,
                "type": "home",
                "blocks": [],
                "private_metadata": "",
                "callback_id": "",
                "hash": secrets.token_hex(8),
                "app_id": APP_ID,
                "bot_id": "B0BOT",
            }
        return self.action(payload), response_url

    def event(
        self,
        event: dict[str, Any],
        *,
        team_id: str | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> requests.Response:
        """Send an Events API ``event_callback`` (JSON). ``retry_num`` adds X-Slack-Retry-*."""
        team = team_id or self.fake_slack.team_id
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        body = json.dumps(envelope).encode("utf-8")
        return self.raw(body, "application/json", headers=headers)


__all__ = ["SlackRequestSender"]
