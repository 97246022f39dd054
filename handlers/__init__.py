"""Slack listeners, registered in one place. Each group lives in its own module."""
from __future__ import annotations

from slack_bolt import App

from services.container import Services

from . import actions, commands, events, home, middleware


def register_listeners(app: App, services: Services) -> None:
    middleware.register(app, services)
    commands.register(app, services)
    actions.register(app, services)
    events.register(app, services)
    home.register(app, services)
