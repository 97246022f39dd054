"""Direct messages from zoombot to a Slack user."""
from __future__ import annotations

import logging
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

ClientForTeam = Callable[[str], WebClient]


class Notifier:
    """Sends DMs with the bot token of the user's workspace."""

    def __init__(self, client_for_team: ClientForTeam) -> None:
        self._client_for_team = client_for_team

    def dm(self, *, team_id: str, user_id: str, message: dict[str, Any]) -> bool:
        """Post `message` to the user's DM with the app. False (logged) when Slack refuses."""
        try:
            self._client_for_team(team_id).chat_postMessage(
                channel=user_id, text=message["text"], blocks=message.get("blocks")
            )
            return True
        except SlackApiError as exc:
            log.warning("could not DM %s/%s: %s", team_id, user_id, exc.response.get("error"))
        except Exception:
            log.warning("could not DM %s/%s", team_id, user_id, exc_info=True)
        return False
