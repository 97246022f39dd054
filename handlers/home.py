"""The App Home tab: publish it when opened, save each control as it changes, republish.

Home-tab clicks carry no response_url: the only way to answer one is to publish the
whole view again (views.publish), which is also how a saved setting shows as saved.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Callable

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks.format import escape
from blocks.home import (
    DIGEST_DAYS_ACTION,
    DIGEST_EMPTY_ACTION,
    DIGEST_ENABLED_ACTION,
    DIGEST_TIME_ACTION,
    DISCONNECT_ACTION,
    EMPTY_OPTION,
    REMIND_ACTION,
    home_view,
)
from services.container import Services
from services.meetings import window_for, zone
from services.reminders import REMIND_CHOICES
from services.schedule import DAILY, WEEKDAYS
from services.tokens import NeedsReconnect, NotConnected
from storage.prefs import PrefsRecord
from zoom.errors import ZoomError
from zoom.models import Meeting

log = logging.getLogger(__name__)

Changes = dict[str, object]
NOTHING_CHANGED = "That change didn't come through in a form I know, so nothing was changed."
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Who:
    team_id: str
    user_id: str
    enterprise_id: str = ""

    def ids(self) -> dict[str, str]:
        return {"team_id": self.team_id, "user_id": self.user_id, "enterprise_id": self.enterprise_id}


# -- reading what a control sent: None means "not a value I accept" ----------------------


def _selected_value(action: dict[str, Any]) -> str | None:
    value = (action.get("selected_option") or {}).get("value")
    return value if isinstance(value, str) else None


def parse_enabled(action: dict[str, Any]) -> Changes | None:
    value = _selected_value(action)
    return {"digest_enabled": value == "on"} if value in ("on", "off") else None


def parse_time(action: dict[str, Any]) -> Changes | None:
    match = _HH_MM.match(str(action.get("selected_time") or ""))
    return {"digest_minute": int(match.group(1)) * 60 + int(match.group(2))} if match else None


def parse_days(action: dict[str, Any]) -> Changes | None:
    value = _selected_value(action)
    return {"digest_days": value} if value in (WEEKDAYS, DAILY) else None


def parse_empty(action: dict[str, Any]) -> Changes | None:
    selected = action.get("selected_options")
    if not isinstance(selected, list):
        return None
    values = {(option or {}).get("value") for option in selected if isinstance(option, dict)}
    if len(values) != len(selected) or not values <= {EMPTY_OPTION[0]}:
        return None
    return {"digest_when_empty": EMPTY_OPTION[0] in values}


def parse_remind(action: dict[str, Any]) -> Changes | None:
    value = _selected_value(action)
    if value == "off":
        return {"remind_minutes": None}
    if value is not None and value.isdigit() and int(value) in REMIND_CHOICES:
        return {"remind_minutes": int(value)}
    return None


SETTING_PARSERS: dict[str, Callable[[dict[str, Any]], Changes | None]] = {
    DIGEST_ENABLED_ACTION: parse_enabled,
    DIGEST_TIME_ACTION: parse_time,
    DIGEST_DAYS_ACTION: parse_days,
    DIGEST_EMPTY_ACTION: parse_empty,
    REMIND_ACTION: parse_remind,
}


def who_clicked(body: dict[str, Any]) -> Who:
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    enterprise = (body.get("enterprise") or {}).get("id") or ""
    return Who(team_id=team, user_id=user.get("id") or "", enterprise_id=enterprise)


# -- gathering and publishing ------------------------------------------------------------


def gather_home(services: Services, who: Who, client: WebClient, *, prefs: PrefsRecord | None = None) -> dict[str, Any]:
    """Everything home_view needs for this user: settings, grant, today's meetings, a link."""
    prefs = prefs or services.digests.settings_for(client=client, **who.ids())
    tz = zone(prefs.tz)
    now = services.clock()
    grant = services.grants.find(**who.ids())
    email = grant.zoom_email if grant else None
    needs_reconnect = bool(grant and not grant.active)
    meetings: list[Meeting] | None = None
    if grant is not None and grant.active:
        window = window_for("today", now=now, tz=tz)
        assert window is not None
        try:
            meetings = services.meetings.list_for(window=window, **who.ids())
        except NotConnected:
            email = None  # disconnected a moment ago
        except NeedsReconnect:
            needs_reconnect = True
        except ZoomError as exc:
            log.info("home tab of %s/%s without meetings: %s", who.team_id, who.user_id, exc)
    connected = email is not None and not needs_reconnect
    connect_url = None if connected else services.connect.connect_link(**who.ids())
    return {
        "connected_email": email,
        "needs_reconnect": needs_reconnect,
        "connect_url": connect_url,
        "meetings": meetings,
        "prefs": prefs,
        "tz": tz,
        "now": now,
    }


def publish_home(
    services: Services, who: Who, client: WebClient, *, prefs: PrefsRecord | None = None, error: str | None = None
) -> None:
    view = home_view(**gather_home(services, who, client, prefs=prefs), error=error)
    client.views_publish(user_id=who.user_id, view=view)


# -- listeners ------------------------------------------------------------------------------


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home":  # the Messages tab sends this event too
            return
        who = Who(team_id=body.get("team_id") or "", user_id=event.get("user") or "", enterprise_id=body.get("enterprise_id") or "")
        if who.team_id and who.user_id:
            services.later(publish_home, services, who, client)  # Slack has its 200 meanwhile

    def save_setting(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        services.later(apply_setting, body, action, client)

    def apply_setting(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        who = who_clicked(body)
        changes = SETTING_PARSERS[action["action_id"]](action)
        prefs = services.digests.settings_for(client=client, **who.ids())  # made with defaults if new
        if changes is None:
            log.info("home tab: ignored %s with an unknown value from %s/%s", action.get("action_id"), who.team_id, who.user_id)
            publish_home(services, who, client, prefs=prefs, error=NOTHING_CHANGED)
            return
        publish_home(services, who, client, prefs=services.digests.change(**who.ids(), **changes))

    for action_id in SETTING_PARSERS:
        app.action(action_id)(save_setting)

    @app.action(DISCONNECT_ACTION)
    def disconnect(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        services.later(finish_disconnect, body, client)

    def finish_disconnect(body: dict[str, Any], client: WebClient) -> None:
        who = who_clicked(body)
        grant, revoked = services.connect.disconnect(**who.ids())
        note = None
        if grant is not None and not revoked:
            note = (
                f"Disconnected Zoom ({escape(grant.zoom_email)}) here, but Zoom could not be reached to revoke "
                "the access too: you can remove zoombot under *Added Apps* in Zoom's App Marketplace."
            )
        publish_home(services, who, client, error=note)
