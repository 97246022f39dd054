"""The demo person's side of Slack: what happens when they type, click, open the Home tab.

Every request to the bot is signed with the app's signing secret and posted to its real
/slack/events, exactly as Slack would; the answers reach the page through `Transcript`.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import requests

from .fakes import FakeSlack, FakeZoom, SlackRequestSender
from .payloads import Person, app_home_opened, home_action, message_action
from .seed import (
    CHANNEL_ID,
    CHANNEL_NAME,
    DEMO_EMAIL,
    DEMO_FIRST_NAME,
    DEMO_LAST_NAME,
    add_demo_slack_user,
    seed_week,
    zone_or_utc,
)
from .transcript import CHANNEL, DM, Transcript

log = logging.getLogger(__name__)

SLACK_ACK_LIMIT_MS = 3000
COMMAND = "/zoom"


class Workspace:
    """One person, one channel and the app's DM, in a fake Slack workspace with one bot."""

    def __init__(self, *, zoom: FakeZoom, slack: FakeSlack, sender: SlackRequestSender, services: Any,
                 person: Person) -> None:
        self.zoom = zoom
        self.slack = slack
        self.sender = sender
        self.services = services
        self.person = person
        self.dm_channel_id = "D" + person.user_id[1:]
        self.transcript = Transcript(slack, user_id=person.user_id, dm_channel_id=self.dm_channel_id,
                                     channel_id=CHANNEL_ID)
        self._seeded: ZoneInfo | None = None
        self._seed_lock = threading.Lock()
        self._sending = threading.Lock()  # one request to the bot at a time keeps the page in order
        self.clicks: list[dict[str, Any]] = []  # every block_actions sent: surface, action, HTTP status
        # A member from the start (DMs to unknown users fail); the page's timezone comes with hello().
        add_demo_slack_user(slack, ZoneInfo("UTC"), now=datetime.now(timezone.utc))

    # -- setup --------------------------------------------------------------------------
    def hello(self, timezone_name: str | None) -> dict[str, Any]:
        """The page has opened: seed the week in its timezone (the first time), describe the workspace."""
        tz = self.ensure_seeded(timezone_name)
        return {
            "user": {"id": self.person.user_id, "name": self.person.user_name,
                     "real_name": f"{DEMO_FIRST_NAME} {DEMO_LAST_NAME}", "zoom_email": DEMO_EMAIL},
            "team": {"id": self.person.team_id, "name": "Sandbox workspace"},
            "channel": {"id": CHANNEL_ID, "name": CHANNEL_NAME},
            "dm": {"id": self.dm_channel_id},
            "timezone": tz.key,
            "digest": self._send_now() is not None,
        }

    def ensure_seeded(self, timezone_name: str | None = None) -> ZoneInfo:
        """Times are chosen in the reader's zone, so that 9:30 standups read as 9:30 on the page."""
        with self._seed_lock:
            if self._seeded is None:
                tz = zone_or_utc(timezone_name)
                now = datetime.now(timezone.utc)
                add_demo_slack_user(self.slack, tz, now=now)
                count = seed_week(self.zoom, tz, now=now)
                log.info("sandbox: seeded %d meetings for %s in %s", count, DEMO_EMAIL, tz.key)
                self._seeded = tz
            return self._seeded

    # -- typing -------------------------------------------------------------------------
    def type(self, line: str, *, conversation: str) -> None:
        """A line typed in the message box: a slash command goes to the bot, anything else is a message."""
        self.ensure_seeded()
        line = line.strip()[:4000]
        if not line:
            return
        if not line.startswith("/"):
            self.transcript.add(conversation, "you", "typed", text=line)
            return
        name, _, text = line.partition(" ")
        with self._in_order():
            self.transcript.add(conversation, "you", "typed", text=line, meta="slash command")
            if name != COMMAND:
                self.transcript.note(conversation, f"{name} is not a valid command. This workspace has one app, "
                                                   f"zoombot, and its command is {COMMAND}.")
                return
            self._command(text.strip(), conversation)

    def _command(self, text: str, conversation: str) -> None:
        channel_id, channel_name = self._channel(conversation)
        started = time.monotonic()
        try:
            response, response_url = self.sender.command(
                text, user_id=self.person.user_id, user_name=self.person.user_name, team_id=self.person.team_id,
                channel_id=channel_id, channel_name=channel_name,
            )
        except requests.RequestException as exc:
            self.transcript.note(conversation, f'{COMMAND} failed with the error "dispatch_failed": '
                                               f"the bot did not answer ({type(exc).__name__}).")
            return
        elapsed = int((time.monotonic() - started) * 1000)
        origin = None
        if response.status_code != 200:
            self.transcript.note(conversation, f'{COMMAND} failed with the error "dispatch_failed": the bot '
                                               f"answered HTTP {response.status_code}.")
        elif response.content.strip():
            payload = _ack_payload(response)
            origin = self.transcript.add(
                conversation, "zoombot", "ack", payload, ephemeral=payload.get("response_type") != "in_channel",
                meta=f"ack in {elapsed} ms",
            ).id
        if elapsed > SLACK_ACK_LIMIT_MS:
            self.transcript.note(conversation, f"The ack took {elapsed} ms: Slack waits 3 s, then shows "
                                               f'"{COMMAND} failed with the error operation_timeout".')
        self.transcript.watch(response_url, conversation=conversation, origin=origin)

    # -- clicking -----------------------------------------------------------------------
    def click(self, *, surface: str, entry_id: str | None, action: dict[str, Any],
              state: dict[str, Any]) -> dict[str, Any]:
        """A button, menu, picker or checkbox used in a message or in the Home tab."""
        with self._in_order():
            if surface == "home":
                view, _ = self.transcript.home_view()
                if view is None:
                    return {"status": 0, "problem": "There is no Home view to click in."}
                payload = home_action(self.person, action=action, state=state, view=view)
            else:
                entry = self.transcript.get(entry_id or "")
                if entry is None or entry.author != "zoombot":
                    return {"status": 0, "problem": "That message is not one of zoombot's."}
                response_url = self.slack.new_response_url()
                self.transcript.watch(response_url, conversation=entry.conversation, origin=entry.id)
                channel_id, channel_name = self._channel(entry.conversation)
                payload = message_action(
                    self.person, action=action, state=state, channel_id=channel_id, channel_name=channel_name,
                    message_ts=entry.slack_ts, message={"text": entry.text, "blocks": entry.blocks},
                    ephemeral=entry.ephemeral, response_url=response_url,
                )
            try:
                response = self.sender.action(payload)
            except requests.RequestException as exc:
                return {"status": 0, "problem": f"The bot did not answer ({type(exc).__name__})."}
            self.clicks.append({"surface": surface, "action": payload["actions"][0], "status": response.status_code})
        if response.status_code != 200:
            return {
                "status": response.status_code,
                "problem": f"zoombot answered HTTP {response.status_code} to this click "
                           f"({action.get('action_id') or 'no action_id'}): Slack shows a warning beside it.",
            }
        return {"status": 200, "problem": None}

    # -- Home tab and digest ------------------------------------------------------------
    def open_home(self) -> dict[str, Any]:
        """Send app_home_opened, as Slack does each time the Home tab is opened."""
        self.ensure_seeded()
        view, _ = self.transcript.home_view()
        try:
            response = self.sender.event(app_home_opened(self.person, dm_channel_id=self.dm_channel_id, view=view))
        except requests.RequestException as exc:
            return {"status": 0, "problem": f"The bot did not answer ({type(exc).__name__})."}
        return {"status": response.status_code, "handled": response.status_code == 200}

    def send_digest(self) -> dict[str, Any]:
        """Today's digest, now, through the bot's own digest service (when this version has one)."""
        self.ensure_seeded()
        send_now = self._send_now()
        if send_now is None:
            return {"available": False, "sent": False,
                    "note": "This version of zoombot has no digest yet (its services have no digests.send_now)."}
        try:
            sent = send_now(team_id=self.person.team_id, user_id=self.person.user_id)
        except Exception:
            log.exception("sandbox: the digest failed")
            return {"available": True, "sent": False, "note": "The digest failed: the terminal shows why."}
        if sent is False:
            return {"available": True, "sent": False,
                    "note": "zoombot sent no digest. Is Zoom connected? Try /zoom connect."}
        return {"available": True, "sent": True, "note": None}

    def state(self) -> dict[str, Any]:
        self.transcript.sync()
        view, count = self.transcript.home_view()
        return {
            "version": f"{self.transcript.version}.{count}",
            "entries": self.transcript.entries(),
            "home": {"view": view, "published": count},
        }

    # -- helpers ------------------------------------------------------------------------
    def _send_now(self) -> Any:
        digests = getattr(self.services, "digests", None)
        send_now = getattr(digests, "send_now", None)
        return send_now if callable(send_now) else None

    def _channel(self, conversation: str) -> tuple[str, str]:
        if conversation == DM:
            return self.dm_channel_id, "directmessage"
        return CHANNEL_ID, CHANNEL_NAME

    @contextlib.contextmanager
    def _in_order(self) -> Iterator[None]:
        # Holding off the page's polls while a request is out keeps an ack above the
        # response_url posts that follow it.
        with self._sending, self.transcript.paused():
            yield


def _ack_payload(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"text": response.text}
    return body if isinstance(body, dict) else {"text": str(body)}


__all__ = ["CHANNEL", "DM", "Workspace"]
