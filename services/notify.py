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

    def dm(self, *, team_id: str, user_id: str, message: dict[str, Any], metadata: dict[str, Any] | None = None) -> bool:
        """Post `message` to the user's DM with the app. False (logged) when Slack refuses.

        `metadata` ({"event_type": …, "event_payload": {…}}) travels with the message, so
        that `was_sent` can find it again.
        """
        try:
            self._client_for_team(team_id).chat_postMessage(
                channel=user_id, text=message["text"], blocks=message.get("blocks"), metadata=metadata
            )
            return True
        except SlackApiError as exc:
            log.warning("could not DM %s/%s: %s", team_id, user_id, exc.response.get("error"))
        except Exception:
            log.warning("could not DM %s/%s", team_id, user_id, exc_info=True)
        return False

    def was_sent(self, *, team_id: str, user_id: str, event_type: str, key: dict[str, Any], since: float) -> bool | None:
        """Did a DM with this metadata reach the user since `since` (epoch seconds)?

        None when Slack cannot tell us (then the caller must assume it did).
        """
        try:
            client = self._client_for_team(team_id)
            channel = client.conversations_open(users=user_id)["channel"]["id"]
            history = client.conversations_history(
                channel=channel, oldest=f"{since:.6f}", limit=100, include_all_metadata=True
            )
        except SlackApiError as exc:
            log.warning("could not read the DM history of %s/%s: %s", team_id, user_id, exc.response.get("error"))
            return None
        except Exception:
            log.warning("could not read the DM history of %s/%s", team_id, user_id, exc_info=True)
            return None
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == event_type and all(payload.get(k) == v for k, v in key.items()):
                return True
        return False
