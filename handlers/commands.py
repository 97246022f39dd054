"""`/zoom` and its subcommands: parse, call a service, reply.

Anything that needs Zoom is answered through the response_url after an immediate ack,
so Slack's 3-second limit holds however slow Zoom is. Bolt runs each listener on the request
thread and answers Slack when it returns (process_before_response), so what comes after an
ack goes to `services.later`, Bolt's listener pool. `/zoom meetings` is the command people
send most: its ack costs one INSERT (a task), and a task worker makes and posts the list
(`meeting_list_task`), so no amount of list-making can slow the next ack.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks.account import (
    connect_message,
    disconnected_message,
    problem_message,
    reconnect_message,
    status_message,
)
from blocks.help import help_message
from blocks.meetings import meeting_list_message
from blocks.settings import settings_message
from services.container import Services
from services.limits import OAUTH_STATE_LIFETIME
from services.logs import current_request_id
from services.meetings import WINDOW_NAMES, window_for, zone
from services.metrics import timed_command
from services.preferences import Parsed, parse_digest, parse_remind
from services.tokens import NeedsReconnect, NotConnected
from storage.tasks import NEEDS_RECONNECT, NOT_CONNECTED, ClaimedTask
from zoom.errors import ZoomApiError, ZoomUnavailable

log = logging.getLogger(__name__)

Reply = Callable[..., Any]
LIST_MEETINGS = "meetings.list"
ZOOM_DOWN = "Zoom isn't answering right now, so I couldn't get your meetings. Please try again in a minute."


def parse(text: str | None) -> tuple[str, list[str]]:
    """`"Meetings  Today"` → ("meetings", ["today"])."""
    words = (text or "").split()
    if not words:
        return "", []
    return words[0].lower(), [w.lower() for w in words[1:]]


def register(app: App, services: Services) -> None:
    def identity(command: dict[str, Any]) -> dict[str, str]:
        return {
            "team_id": command.get("team_id") or "",
            "user_id": command.get("user_id") or "",
            "enterprise_id": command.get("enterprise_id") or "",
        }

    def connect_reply(who: dict[str, str], *, expired: bool = False) -> dict[str, Any]:
        return _connect_again(services, who, expired=expired)

    def meetings(args: list[str], who: dict[str, str], ack: Ack, response_url: str | None) -> None:
        if len(args) > 1 or (args and args[0] not in WINDOW_NAMES):
            shown = " ".join(args)[:40]
            ack(**problem_message(
                f"`{_code(shown)}` isn't a period I know. Try `/zoom meetings today`, "
                "`/zoom meetings tomorrow` or `/zoom meetings week`."
            ))
            return
        if not response_url:  # Slack always sends one; without it there is nowhere to answer later
            ack(**problem_message("Slack didn't say where to send your meetings. Please try the command again."))
            return
        # One INSERT, so that the ack stays cheap: the list itself is made by a task worker.
        outcome = services.tasks.enqueue_if_connected(
            LIST_MEETINGS,
            {"response_url": response_url, "window": args[0] if args else None, "request_id": current_request_id()},
            now=services.clock(),
            **who,
        )
        if outcome == NOT_CONNECTED:
            ack(**connect_reply(who))
        elif outcome == NEEDS_RECONNECT:
            ack(**connect_reply(who, expired=True))
        else:
            ack()
            services.wake_task_runner()

    def status(who: dict[str, str], ack: Ack) -> None:
        grant = services.grants.find(**who)
        ack(**status_message(
            email=grant.zoom_email if grant else None,
            connected_since=grant.created_at if grant else None,
            needs_reconnect=bool(grant and not grant.active),
            tz=zone(None),
        ))

    def disconnect(who: dict[str, str], ack: Ack, respond: Respond) -> None:
        if services.grants.find(**who) is None:
            ack(**disconnected_message(email=None, revoked=False))
            return
        ack()
        services.later(finish_disconnect, who, respond)

    def finish_disconnect(who: dict[str, str], respond: Respond) -> None:
        grant, revoked = services.connect.disconnect(**who)
        respond(**disconnected_message(email=grant.zoom_email if grant else None, revoked=revoked))

    def digest(args: list[str], who: dict[str, str], ack: Ack, respond: Respond, client: WebClient) -> None:
        parsed = parse_digest(args)
        settings_command(parsed, who, ack, respond, client)

    def remind(args: list[str], who: dict[str, str], ack: Ack, respond: Respond, client: WebClient) -> None:
        settings_command(parse_remind(args), who, ack, respond, client)

    def settings_command(parsed: Parsed, who: dict[str, str], ack: Ack, respond: Respond, client: WebClient) -> None:
        if parsed.error:
            ack(**problem_message(parsed.error))  # nothing is changed
            return
        ack()
        services.later(finish_settings, parsed, who, respond, client)

    def finish_settings(parsed: Parsed, who: dict[str, str], respond: Respond, client: WebClient) -> None:
        prefs = services.digests.settings_for(client=client, **who)
        if parsed.changes:
            prefs = services.digests.change(**who, **parsed.changes)
        message = settings_message(prefs, changed=bool(parsed.changes))
        grant = services.grants.find(**who)
        if grant is None or not grant.active:
            message["blocks"].append(
                {"type": "context", "elements": [{"type": "mrkdwn", "text": "Connect Zoom with `/zoom connect` to receive it."}]}
            )
        respond(**message)

    @app.command("/zoom")
    def zoom_command(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        sub, args = parse(command.get("text"))
        with timed_command(sub):
            dispatch(sub, args, identity(command), ack, respond, client, command.get("response_url"))

    def dispatch(sub: str, args: list[str], who: dict[str, str], ack: Ack, respond: Respond, client: WebClient,
                 response_url: str | None) -> None:
        if sub in ("meetings", "list"):
            meetings(args, who, ack, response_url)
        elif sub == "connect":
            ack(**connect_reply(who))
        elif sub == "status":
            status(who, ack)
        elif sub == "disconnect":
            disconnect(who, ack, respond)
        elif sub == "digest":
            digest(args, who, ack, respond, client)
        elif sub in ("remind", "reminders", "reminder"):
            remind(args, who, ack, respond, client)
        elif sub in ("", "help"):
            ack(**help_message())
        else:
            ack(**help_message(unknown=sub))


def meeting_list_task(services: Services) -> Callable[[ClaimedTask], None]:
    """What a task worker does for `/zoom meetings`: fetch the list and post it to the response_url."""

    def run(task: ClaimedTask) -> None:
        who = {"team_id": task.team_id, "user_id": task.user_id, "enterprise_id": task.enterprise_id}
        respond = Respond(response_url=task.payload["response_url"])
        grant = services.grants.find(**who)
        if grant is None or not grant.active:  # disconnected since the ack
            respond(**_connect_again(services, who, expired=grant is not None))
            return
        client = services.client_for_team(task.team_id, task.enterprise_id)
        tz = services.timezones.lookup(client, team_id=task.team_id, user_id=task.user_id)
        window = window_for(task.payload.get("window"), now=services.clock(), tz=tz)
        assert window is not None
        try:
            found = services.meetings.list_for(window=window, grant=grant, **who)
        except NotConnected:
            respond(**_connect_again(services, who, expired=False))
            return
        except NeedsReconnect:
            respond(**_connect_again(services, who, expired=True))
            return
        except ZoomUnavailable:
            respond(**problem_message(ZOOM_DOWN))
            return
        except ZoomApiError as exc:
            log.warning("zoom refused the meeting list for %s/%s: %s", task.team_id, task.user_id, exc)
            respond(**problem_message(
                "Zoom refused to list your meetings. If this keeps happening, `/zoom disconnect` "
                "and `/zoom connect` again to renew zoombot's permissions."
            ))
            return
        respond(**meeting_list_message(
            found, window_name=window.name, title=window.title, tz=tz, now=services.clock()
        ))

    return run


def _connect_again(services: Services, who: dict[str, str], *, expired: bool) -> dict[str, Any]:
    url = services.connect.authorize_url(**who)
    builder = reconnect_message if expired else connect_message
    return builder(url, lifetime_minutes=int(OAUTH_STATE_LIFETIME.total_seconds() // 60))


def _code(text: str) -> str:
    """Text safe inside `code` in mrkdwn."""
    return text.replace("`", "'").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
