"""The meeting list of `/zoom meetings` (and, later, of the digest and App Home)."""
from __future__ import annotations

from datetime import datetime
from itertools import groupby
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from zoom.models import Meeting

from .format import (
    MAX_BLOCKS,
    MAX_URL,
    date_token,
    day_label,
    escape,
    format_duration,
    format_meeting_id,
    truncate,
)

ZOOM_MEETINGS_PAGE = "https://zoom.us/meeting"
JOIN_ACTION = "join_meeting"
AGENDA_PREVIEW = 200

EMPTY_TEXT = {
    "today": "No Zoom meetings today. Enjoy the focus time.",
    "tomorrow": "No Zoom meetings tomorrow.",
    "week": "No Zoom meetings in the next 7 days.",
}


def meeting_block(meeting: Meeting, tz: ZoneInfo, *, now: datetime | None = None) -> dict[str, Any]:
    """One meeting: topic, start time (reader's timezone), duration, ID, and a Join button."""
    assert meeting.start_time is not None
    details = [date_token(meeting.start_time, tz), format_duration(meeting.duration_minutes)]
    if meeting.id:
        details.append(f"ID {format_meeting_id(meeting.id)}")
    if now is not None and meeting.end_time and meeting.start_time <= now < meeting.end_time:
        details.append("*happening now*")
    lines = [f"*{escape(truncate(meeting.topic, 200))}*", " · ".join(details)]
    agenda = " ".join(meeting.agenda.split())
    if agenda:
        lines.append(f"_{escape(truncate(agenda, AGENDA_PREVIEW))}_")
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}
    if meeting.join_url and len(meeting.join_url) <= MAX_URL and meeting.join_url.startswith("https://"):
        block["accessory"] = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Join", "emoji": False},
            "url": meeting.join_url,
            "action_id": JOIN_ACTION,
            "value": str(meeting.id),
        }
    return block


def day_heading(day: datetime, tz: ZoneInfo) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{day_label(day, tz)}*"}}


def meeting_list_message(
    meetings: Sequence[Meeting],
    *,
    window_name: str,
    title: str,
    tz: ZoneInfo,
    now: datetime | None = None,
    more_url: str = ZOOM_MEETINGS_PAGE,
    header: str | None = None,
    max_blocks: int = MAX_BLOCKS,
) -> dict[str, Any]:
    """The whole list message: header, meetings grouped by local day, within Slack's 50 blocks."""
    heading = header or f"Your Zoom meetings · {title}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": heading[:150]}}]
    timed = [m for m in meetings if m.start_time is not None]
    if not timed:
        empty = EMPTY_TEXT.get(window_name, "No Zoom meetings in this period.")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": empty}})
        return {"text": empty, "blocks": blocks}

    body, shown = _grouped(timed, tz, now, budget=max_blocks - len(blocks))
    if shown < len(timed):
        # Everything does not fit: keep the last block for "and N more".
        body, shown = _grouped(timed, tz, now, budget=max_blocks - len(blocks) - 1)
    blocks.extend(body)
    hidden = len(timed) - shown
    if hidden > 0:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"…and {hidden} more. <{more_url}|See all your meetings in Zoom>",
                    }
                ],
            }
        )
    count = len(timed)
    noun = "meeting" if count == 1 else "meetings"
    return {"text": f"{heading}: {count} {noun}", "blocks": blocks}


def _grouped(
    meetings: Sequence[Meeting], tz: ZoneInfo, now: datetime | None, *, budget: int
) -> tuple[list[dict[str, Any]], int]:
    """Day headings and meeting blocks, at most `budget` of them; and how many meetings fit."""
    body: list[dict[str, Any]] = []
    shown = 0
    for _, group in groupby(meetings, key=lambda m: m.start_time.astimezone(tz).date()):  # type: ignore[union-attr]
        items = list(group)
        if len(body) + 2 > budget:  # a heading alone is no use
            break
        body.append(day_heading(items[0].start_time, tz))  # type: ignore[arg-type]
        for meeting in items:
            if len(body) + 1 > budget:
                break
            body.append(meeting_block(meeting, tz, now=now))
            shown += 1
    return body, shown
