"""Messages about the user's Zoom connection: connect, status, disconnect."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .format import date_token, escape

CONNECT_ACTION = "connect_zoom"
RECONNECT_ACTION = "reconnect_zoom"
INTRO = "zoombot shows your Zoom meetings here in Slack, with one-click *Join* buttons and a morning digest."


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def connect_button(url: str, *, label: str = "Connect Zoom", action_id: str = CONNECT_ACTION) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "style": "primary",
        "url": url,
        "action_id": action_id,
    }


def connect_message(authorize_url: str, *, lifetime_minutes: int = 10) -> dict[str, Any]:
    """For someone not connected yet: what zoombot does, and a Connect Zoom button."""
    return {
        "text": "Connect your Zoom account to see your meetings in Slack.",
        "blocks": [
            _section(f"{INTRO}\nConnect your Zoom account to get started."),
            {"type": "actions", "elements": [connect_button(authorize_url)]},
            _context(
                f"The button opens Zoom's own consent page. The link works once and expires in {lifetime_minutes} minutes."
            ),
        ],
    }


def reconnect_message(
    authorize_url: str, *, lifetime_minutes: int = 10, note: str | None = None
) -> dict[str, Any]:
    """For someone whose grant Zoom no longer accepts (`note` replaces the link's lifetime line)."""
    return {
        "text": "Your Zoom connection has expired. Connect Zoom again to keep seeing your meetings.",
        "blocks": [
            _section(
                ":warning: *Your Zoom connection has expired.*\n"
                "Zoom no longer accepts zoombot's access. Connect again to keep seeing your meetings here."
            ),
            {"type": "actions", "elements": [connect_button(authorize_url, label="Connect Zoom")]},
            _context(note or f"The link works once and expires in {lifetime_minutes} minutes."),
        ],
    }


def connected_message(email: str) -> dict[str, Any]:
    """The confirmation in Slack after a successful connect."""
    text = f":white_check_mark: Zoom is connected as *{escape(email)}*. Try `/zoom meetings`."
    return {"text": f"Zoom is connected as {email}.", "blocks": [_section(text)]}


def status_message(
    *, email: str | None, connected_since: datetime | None, needs_reconnect: bool, tz: ZoneInfo
) -> dict[str, Any]:
    if needs_reconnect:
        text = (
            f":warning: Your Zoom connection ({escape(email or 'unknown account')}) has expired. "
            "Use `/zoom connect` to connect again."
        )
    elif email is not None and connected_since is not None:
        since = date_token(connected_since, tz, "{date_long} at {time}")
        text = f":white_check_mark: Connected to Zoom as *{escape(email)}* since {since}."
    else:
        text = "You haven't connected Zoom yet. Use `/zoom connect` to connect your Zoom account."
    return {"text": text, "blocks": [_section(text)]}


def disconnected_message(*, email: str | None, revoked: bool) -> dict[str, Any]:
    if email is None:
        text = "You weren't connected to Zoom, so there was nothing to disconnect."
    elif revoked:
        text = (
            f"Disconnected Zoom ({escape(email)}). zoombot's access was revoked at Zoom and "
            "your tokens were deleted. Use `/zoom connect` any time to connect again."
        )
    else:
        text = (
            f"Disconnected Zoom ({escape(email)}) and deleted your tokens here. Zoom could not be "
            "reached to revoke the access too: you can remove zoombot under *Added Apps* in Zoom's App Marketplace."
        )
    return {"text": text, "blocks": [_section(text)]}


def problem_message(text: str) -> dict[str, Any]:
    """A friendly one-line message for something that went wrong."""
    return {"text": text, "blocks": [_section(text)]}


def deauthorized_message() -> dict[str, Any]:
    """The DM after the user removed zoombot at Zoom (Zoom's app_deauthorized event)."""
    text = (
        "zoombot's access to your Zoom account was removed at Zoom, so your Zoom tokens were "
        "deleted here. Use `/zoom connect` any time to connect again."
    )
    return {"text": "Zoom access was removed. Use /zoom connect to connect again.", "blocks": [_section(text)]}
