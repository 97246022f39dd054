"""Events API listeners."""
from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from services.container import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    def forget_workspace(team_id: str | None, enterprise_id: str | None, why: str) -> None:
        if not team_id:
            return
        grants = services.grants.delete_team(team_id=team_id)
        states = services.states.delete_team(team_id=team_id)
        services.prefs.delete_team(team_id=team_id)
        services.workspaces.forget(team_id=team_id, enterprise_id=enterprise_id or "")
        log.info("%s: deleted %d grant(s) and %d pending authorization(s) of team %s", why, grants, states, team_id)

    @app.event("app_uninstalled")
    def app_uninstalled(body: dict[str, Any]) -> None:
        forget_workspace(body.get("team_id"), body.get("enterprise_id"), "app uninstalled")

    @app.event("tokens_revoked")
    def tokens_revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        # Only the bot token matters to zoombot: without it the workspace is gone for us.
        if (event.get("tokens") or {}).get("bot"):
            forget_workspace(body.get("team_id"), body.get("enterprise_id"), "bot token revoked")
