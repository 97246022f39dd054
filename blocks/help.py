"""`/zoom help`."""
from __future__ import annotations

from typing import Any

COMMANDS: list[tuple[str, str]] = [
    ("/zoom meetings", "your meetings in the next 7 days"),
    ("/zoom meetings today", "today's meetings (also `tomorrow`, `week`)"),
    ("/zoom connect", "connect your Zoom account"),
    ("/zoom status", "whether you are connected, and as whom"),
    ("/zoom disconnect", "disconnect Zoom and revoke zoombot's access"),
    ("/zoom digest", "your morning digest settings"),
    ("/zoom digest on | off", "turn the daily digest on or off"),
    ("/zoom digest 08:30", "when it comes (also `8am`, `5:30 pm`), in your timezone"),
    ("/zoom digest weekdays | daily", "which days it comes"),
    ("/zoom digest empty on | off", "a note on days without meetings, or nothing"),
    ("/zoom remind 5 | 10 | 15 | off", "a DM that many minutes before each meeting"),
    ("/zoom help", "this help"),
]


def help_message(*, unknown: str | None = None) -> dict[str, Any]:
    lines = [f"`{command}` {description}" for command, description in COMMANDS]
    intro = "*zoombot* puts your Zoom meetings in Slack."
    if unknown:
        shown = unknown if len(unknown) <= 40 else unknown[:39] + "…"
        shown = shown.replace("`", "'").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        intro = f"I don't know `{shown}`. Here is what I can do:"
    return {
        "text": "zoombot commands: " + ", ".join(command for command, _ in COMMANDS),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        ],
    }
