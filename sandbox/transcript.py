"""What the sandbox's page shows: the conversation in #general and in the app's DM, built from
what the bot answered (acks) and what reached the fake Slack (response_url posts, chat.*)."""
from __future__ import annotations

import contextlib
import copy
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from .fakes import FakeSlack

CHANNEL = "channel"
DM = "dm"


@dataclass
class Entry:
    """One message on the page. `rev` goes up when the bot replaces it."""

    id: str
    conversation: str
    author: str  # "you", "zoombot" or "sandbox" (the page's own notes)
    via: str  # how it arrived: typed, ack, response_url, chat.postMessage, chat.postEphemeral, note
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    ephemeral: bool = False
    at: float = field(default_factory=time.time)
    rev: int = 0
    deleted: bool = False
    meta: str = ""
    slack_ts: str = ""  # the message's ts, as Slack would give it to a click's payload

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "conversation": self.conversation, "author": self.author, "via": self.via,
            "text": self.text, "blocks": self.blocks, "ephemeral": self.ephemeral, "at": self.at,
            "rev": self.rev, "deleted": self.deleted, "meta": self.meta, "ts": self.slack_ts,
        }

    def show(self, payload: dict[str, Any]) -> None:
        self.text = str(payload.get("text") or "")
        blocks = payload.get("blocks")
        self.blocks = copy.deepcopy(blocks) if isinstance(blocks, list) else None
        self.rev += 1


@dataclass
class _Watched:
    """A response_url handed to the bot: its posts so far, and the message they may replace."""

    url: str
    conversation: str
    origin: str | None
    seen: int = 0


class Transcript:
    """Thread-safe; `sync()` pulls whatever reached the fake Slack since the last call."""

    def __init__(self, slack: FakeSlack, *, user_id: str, dm_channel_id: str, channel_id: str) -> None:
        self._slack = slack
        self._user_id = user_id
        self._channels = {dm_channel_id: DM, channel_id: CHANNEL}
        self._lock = threading.Lock()
        self._syncing = threading.Lock()  # one sync at a time, so nothing is taken in twice
        self._entries: list[Entry] = []
        self._by_id: dict[str, Entry] = {}
        self._watched: list[_Watched] = []
        self._posted: dict[str, tuple[Entry, Any]] = {}  # chat.postMessage ts → (entry, last content)
        self._seen_messages = 0
        self._seen_ephemeral = 0
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self.version = 0

    # -- adding -------------------------------------------------------------------------
    def add(self, conversation: str, author: str, via: str, payload: dict[str, Any] | None = None, *,
            text: str = "", ephemeral: bool = False, meta: str = "", slack_ts: str = "") -> Entry:
        with self._lock:
            return self._add(conversation, author, via, payload, text=text, ephemeral=ephemeral, meta=meta,
                             slack_ts=slack_ts)

    def note(self, conversation: str, text: str) -> Entry:
        """A line from the sandbox itself (a failed command, a missing feature)."""
        return self.add(conversation, "sandbox", "note", text=text, ephemeral=True)

    def watch(self, url: str, *, conversation: str, origin: str | None = None) -> None:
        """Show what the bot posts to this response_url; `replace_original` replaces `origin`."""
        with self._lock:
            self._watched.append(_Watched(url, conversation, origin))

    def get(self, entry_id: str) -> Entry | None:
        with self._lock:
            entry = self._by_id.get(entry_id)
            return copy.deepcopy(entry) if entry else None

    # -- reading ------------------------------------------------------------------------
    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No sync while inside: what is added here lands before what the bot posts meanwhile."""
        with self._syncing:
            yield

    def sync(self) -> None:
        """Take in new response_url posts, chat.postMessage/postEphemeral and chat.update."""
        with self._syncing:
            self._sync()

    def _sync(self) -> None:
        with self._lock:
            watched = list(self._watched)
        posts = [(w, self._slack.responses(w.url)) for w in watched]
        sent = self._slack.snapshot()
        with self._lock:
            for w, payloads in posts:
                for payload in payloads[w.seen:]:
                    self._apply_response(w, payload)
                w.seen = len(payloads)
            messages = sent["messages"]
            for message in messages[self._seen_messages:]:
                conversation = self._channels.get(message["channel_id"])
                if conversation is None:
                    continue  # a channel the page does not show
                entry = self._add(conversation, "zoombot", "chat.postMessage", message, slack_ts=message["ts"])
                self._posted[message["ts"]] = (entry, (message["text"], message["blocks"]))
            self._seen_messages = len(messages)
            for message in messages:  # chat.update changes a message in place
                known = self._posted.get(message["ts"])
                if known and known[1] != (message["text"], message["blocks"]):
                    known[0].show(message)
                    self._posted[message["ts"]] = (known[0], (message["text"], message["blocks"]))
                    self.version += 1
            ephemeral = sent["ephemeral_messages"]
            for message in ephemeral[self._seen_ephemeral:]:
                conversation = self._channels.get(message["channel_id"])
                if conversation is not None and message.get("user") == self._user_id:
                    self._add(conversation, "zoombot", "chat.postEphemeral", message, ephemeral=True,
                              slack_ts=message["message_ts"])
            self._seen_ephemeral = len(ephemeral)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [e.public() for e in self._entries]

    def home_view(self) -> tuple[dict[str, Any] | None, int]:
        """The last view published for the demo person, and how many were published."""
        views = [v for v in self._slack.snapshot()["published_views"] if v["user_id"] == self._user_id]
        return (views[-1]["view"] if views else None), len(views)

    # -- inside the lock ----------------------------------------------------------------
    def _add(self, conversation: str, author: str, via: str, payload: dict[str, Any] | None, *,
             text: str = "", ephemeral: bool = False, meta: str = "", slack_ts: str = "") -> Entry:
        entry = Entry(
            id=f"m{next(self._ids)}", conversation=conversation, author=author, via=via, text=text,
            ephemeral=ephemeral, meta=meta, slack_ts=slack_ts or f"{int(time.time())}.{next(self._ts):06d}",
        )
        if payload is not None:
            entry.show(payload)
            entry.rev = 0
        self._entries.append(entry)
        self._by_id[entry.id] = entry
        self.version += 1
        return entry

    def _apply_response(self, watched: _Watched, payload: dict[str, Any]) -> None:
        origin = self._by_id.get(watched.origin) if watched.origin else None
        if payload.get("delete_original"):
            if origin is not None:
                origin.deleted = True
                origin.rev += 1
                self.version += 1
            return
        if payload.get("replace_original") and origin is not None and not origin.deleted:
            origin.show(payload)
            origin.ephemeral = payload.get("response_type") != "in_channel"
            origin.via = "response_url"
            self.version += 1
            return
        entry = self._add(watched.conversation, "zoombot", "response_url", payload,
                          ephemeral=payload.get("response_type") != "in_channel")
        if watched.origin is None:
            watched.origin = entry.id
