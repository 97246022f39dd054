"""Zoom told us a user removed zoombot: forget their grants and tell them in Slack."""
from __future__ import annotations

from concurrent.futures import Executor

from blocks.account import deauthorized_message
from storage.grants import GrantRecord, GrantStore

from .notify import Notifier


class Deauthorizer:
    def __init__(self, grants: GrantStore, notifier: Notifier) -> None:
        self._grants = grants
        self._notifier = notifier

    def handle(self, *, zoom_user_id: str, notify_in: Executor | None = None) -> int:
        """Delete every grant of this Zoom user (tokens too, in one transaction), then DM
        each Slack user it belonged to. Returns how many grants were deleted.

        The deletion is done when this returns. The DMs are sent here, or handed to
        `notify_in` so that the caller does not wait for Slack.
        """
        deleted = self._grants.delete_by_zoom_user(zoom_user_id=zoom_user_id)
        for grant in deleted:
            if notify_in is None:
                self._tell(grant)
            else:
                notify_in.submit(self._tell, grant)
        return len(deleted)

    def _tell(self, grant: GrantRecord) -> None:
        self._notifier.dm(team_id=grant.team_id, user_id=grant.slack_user_id, message=deauthorized_message())
