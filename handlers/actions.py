"""Button clicks. URL buttons (Join, Connect Zoom) still send a block_actions request:
acknowledge them, or Slack shows the user a warning."""
from __future__ import annotations

from slack_bolt import Ack, App

from blocks.account import CONNECT_ACTION, RECONNECT_ACTION
from blocks.meetings import JOIN_ACTION
from services.container import Services

URL_BUTTONS = (JOIN_ACTION, CONNECT_ACTION, RECONNECT_ACTION)


def register(app: App, services: Services) -> None:
    for action_id in URL_BUTTONS:
        app.action(action_id)(_ack_only)


def _ack_only(ack: Ack) -> None:
    ack()
