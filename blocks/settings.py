"""Describing a user's digest and reminder settings."""
from __future__ import annotations

from typing import Any

from storage.prefs import PrefsRecord


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def digest_line(prefs: PrefsRecord) -> str:
    """"Daily digest at 08:30 on weekdays (America/Los_Angeles)"."""
    if not prefs.digest_enabled:
        return "Daily digest is off"
    days = "on weekdays" if prefs.digest_days == "weekdays" else "every day"
    return f"Daily digest at {_clock(prefs.digest_minute)} {days} ({prefs.tz})"


def empty_line(prefs: PrefsRecord) -> str:
    return "On days without meetings: " + ("a short “No Zoom meetings today” note" if prefs.digest_when_empty else "no message")


def remind_line(prefs: PrefsRecord) -> str:
    if prefs.remind_minutes is None:
        return "Reminders before meetings: off"
    return f"Reminders {prefs.remind_minutes} minutes before each meeting"


def settings_message(prefs: PrefsRecord, *, changed: bool = False) -> dict[str, Any]:
    head = digest_line(prefs) + "."
    lines = [("Saved. " if changed else "") + f"*{head}*", empty_line(prefs) + ".", remind_line(prefs) + "."]
    context = "Change it with `/zoom digest 08:30`, `/zoom digest off`, `/zoom digest daily`, `/zoom digest empty on`, `/zoom remind 10`."
    return {
        "text": ("Saved. " if changed else "") + head,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }
