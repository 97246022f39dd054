"""Many connected users at once, without clicking through the connect flow for each."""
from __future__ import annotations

from datetime import datetime, timedelta

from storage.grants import NewTokens


def seed_users(services, zoom, slack, count: int, *, now: datetime, team_id: str = "T0TEAM1",
               expires_in: timedelta = timedelta(minutes=50), digest_due: datetime | None = None,
               meeting_at: datetime | None = None, tz: str = "America/New_York", start: int = 0) -> list[str]:
    """`count` users connected to their own Zoom users; returns their Slack ids."""
    ids = []
    for index in range(start, start + count):
        user_id = f"U{index:06d}"
        email = f"user{index}@example.com"
        slack.add_user(user_id, name=f"user{index}", tz=tz, team_id=team_id)
        user = zoom.add_user(email)
        if meeting_at is not None:
            zoom.add_meeting(email, topic=f"Meeting of user {index}", start_time=meeting_at)
        tokens = zoom.issue_tokens(email)
        services.grants.save(
            team_id=team_id, user_id=user_id, zoom_user_id=user["id"], zoom_email=email,
            zoom_account_id=user["account_id"],
            tokens=NewTokens(tokens["access_token"], tokens["refresh_token"], now + expires_in, tokens["scope"]),
            now=now,
        )
        services.prefs.ensure(team_id=team_id, user_id=user_id, tz=tz, now=now,
                              next_digest=lambda _p: digest_due)
        ids.append(user_id)
    return ids
