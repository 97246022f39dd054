"""What every Slack request goes through before its listener."""
from __future__ import annotations

from typing import Any, Callable

from slack_bolt import App, BoltContext
from slack_bolt.request import BoltRequest  # noqa: F401 - Bolt injects by name

from services.container import Services
from services.logs import bind


def register(app: App, services: Services) -> None:
    @app.middleware
    def context_and_client(req: BoltRequest, context: BoltContext, next: Callable[[], Any]) -> Any:  # noqa: A002
        # Log lines name the request, team and user (the listener pool keeps this context).
        bind(team_id=context.team_id, user_id=context.user_id)
        # Our own (metered) client for the workspace, instead of Bolt's per-request copy.
        if context.team_id:
            try:
                context["client"] = services.workspaces.client_for(context.team_id, context.enterprise_id or "")
            except LookupError:
                pass
        return next()
