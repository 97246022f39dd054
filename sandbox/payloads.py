"""The bodies Slack sends when someone clicks in a message or a Home tab, or opens the Home tab.

Only the fields Slack documents for block_actions and app_home_opened; the page supplies what
was clicked and the current values of the inputs around it, the sandbox supplies who did it.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from .fakes.slack import APP_ID, BOT_ID, BOT_USER_ID
from .fakes.slack_signing import TEAM_DOMAIN, VERIFICATION_TOKEN

# What each kind of element reports about itself, in `actions[]` and in `state.values`.
SELECTION_FIELDS = {
    "button": ("value",),
    "static_select": ("selected_option",),
    "external_select": ("selected_option",),
    "overflow": ("selected_option",),
    "radio_buttons": ("selected_option",),
    "checkboxes": ("selected_options",),
    "multi_static_select": ("selected_options",),
    "timepicker": ("selected_time",),
    "datepicker": ("selected_date",),
    "datetimepicker": ("selected_date_time",),
    "plain_text_input": ("value",),
    "number_input": ("value",),
    "email_text_input": ("value",),
    "url_text_input": ("value",),
}
STATEFUL = {kind for kind in SELECTION_FIELDS if kind not in ("button", "overflow")}


@dataclass(frozen=True)
class Person:
    user_id: str
    user_name: str
    team_id: str

    def as_user(self) -> dict[str, str]:
        return {"id": self.user_id, "username": self.user_name, "name": self.user_name, "team_id": self.team_id}


def trigger_id() -> str:
    return f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**13)}.{secrets.token_hex(16)}"


def clean_action(raw: dict[str, Any]) -> dict[str, Any]:
    """What the page says was clicked, reduced to the fields Slack sends for that element."""
    kind = str(raw.get("type") or "button")
    action: dict[str, Any] = {
        "type": kind,
        "action_id": str(raw.get("action_id") or ""),
        "block_id": str(raw.get("block_id") or ""),
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        action["text"] = raw.get("text") or {"type": "plain_text", "text": "Button"}
        for key in ("value", "url", "style"):
            if raw.get(key) is not None:
                action[key] = raw[key]
        return action
    for key in SELECTION_FIELDS.get(kind, ()):
        action[key] = raw.get(key)
    for key in ("placeholder", "initial_option", "initial_time", "initial_date"):
        if raw.get(key) is not None:
            action[key] = raw[key]
    return action


def clean_state(raw: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """`state.values`: block_id → action_id → {type, the selection}, for stateful inputs only."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    if not isinstance(raw, dict):
        return values
    for block_id, by_action in raw.items():
        if not isinstance(by_action, dict):
            continue
        for action_id, entry in by_action.items():
            if not isinstance(entry, dict) or entry.get("type") not in STATEFUL:
                continue
            kind = entry["type"]
            cleaned = {"type": kind}
            for key in SELECTION_FIELDS[kind]:
                cleaned[key] = entry.get(key)
            values.setdefault(str(block_id), {})[str(action_id)] = cleaned
    return values


def message_action(
    person: Person, *, action: dict[str, Any], state: dict[str, Any], channel_id: str, channel_name: str,
    message_ts: str, message: dict[str, Any], ephemeral: bool, response_url: str,
) -> dict[str, Any]:
    """block_actions from a button or menu inside a message (it carries a response_url)."""
    return {
        "type": "block_actions",
        "user": person.as_user(),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": trigger_id(),
        "team": {"id": person.team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": message_ts,
            "text": message.get("text") or "",
            "blocks": message.get("blocks") or [],
        },
        "state": {"values": clean_state(state)},
        "response_url": response_url,
        "actions": [clean_action(action)],
    }


def home_action(person: Person, *, action: dict[str, Any], state: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    """block_actions from the Home tab: a view container, and no response_url."""
    view_id = str(view.get("id") or "V0HOME" + person.user_id[1:])
    full_view = {
        "id": view_id,
        "team_id": person.team_id,
        "type": "home",
        "private_metadata": "",
        "callback_id": "",
        "hash": secrets.token_hex(8),
        "app_id": APP_ID,
        "bot_id": BOT_ID,
        **view,
        "state": {"values": clean_state(state)},
    }
    return {
        "type": "block_actions",
        "user": person.as_user(),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view_id},
        "trigger_id": trigger_id(),
        "team": {"id": person.team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": full_view,
        "state": {"values": clean_state(state)},
        "actions": [clean_action(action)],
    }


def app_home_opened(person: Person, *, dm_channel_id: str, view: dict[str, Any] | None) -> dict[str, Any]:
    """The event Slack sends each time someone opens the app's Home tab."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": person.user_id,
        "channel": dm_channel_id,
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    if view is not None:  # Slack includes the view last published for this person
        event["view"] = view
    return event
