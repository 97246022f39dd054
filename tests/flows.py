"""Steps many tests share, done the way a person would: over HTTP, through the fakes."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.fakes.slack_signing import SlackRequestSender


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            found.extend(block.get("elements") or [])
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            found.append(accessory)
    return found


def connect_url(message: dict[str, Any]) -> str:
    urls = [b["url"] for b in buttons(message) if b.get("action_id") in ("connect_zoom", "reconnect_zoom")]
    assert urls, f"no Connect Zoom button in {message}"
    return urls[0]


def all_text(message: dict[str, Any]) -> str:
    """Every piece of text in a message, for assertions on what the user reads."""
    parts = [message.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts)


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def connect(sender: SlackRequestSender, *, user_id: str = "U0ALICE", team_id: str | None = None) -> requests.Response:
    """`/zoom connect`, click the button, consent at (fake) Zoom, land on the callback page."""
    response, _ = sender.command("connect", user_id=user_id, team_id=team_id)
    assert response.status_code == 200, response.text
    return requests.get(connect_url(response.json()), timeout=10)


def eventually(check, *, timeout: float = 5.0, interval: float = 0.02):  # type: ignore[no-untyped-def]
    """Wait for work the bot finishes after its ack; returns check()'s truthy value."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, "condition not met in time"
            return value
        time.sleep(interval)
