"""The morning digest and the reminder before a meeting."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from zoom.models import Meeting

from .format import MAX_BLOCKS, date_token, escape, format_duration, truncate
from .meetings import JOIN_ACTION, ZOOM_MEETINGS_PAGE, meeting_block


def summary_line(meetings: Sequence[Meeting], tz: ZoneInfo) -> str:
    """"3 meetings today, 2 h 15 min in total; first at 9:30 AM"."""
    timed = [m for m in meetings if m.start_time is not None]
    count = len(timed)
    noun = "meeting" if count == 1 else "meetings"
    total = sum(m.duration_minutes for m in timed)
    first = min(m.start_time for m in timed)  # type: ignore[type-var]
    return f"{count} {noun} today, {format_duration(total)} in total; first at {date_token(first, tz)}"


def digest_message(meetings: Sequence[Meeting], *, day: date, tz: ZoneInfo, now: datetime | None = None) -> dict[str, Any]:
    """The day's meetings led by a one-line summary; "No Zoom meetings today" when empty."""
    heading = f"Your Zoom meetings today · {day.strftime('%A, %B')} {day.day}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": heading[:150]}}]
    timed = [m for m in meetings if m.start_time is not None]
    if not timed:
        text = "No Zoom meetings today."
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
        return {"text": text, "blocks": blocks}
    summary = summary_line(timed, tz)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": summary}]})
    room = MAX_BLOCKS - len(blocks)
    shown = timed if len(timed) <= room else timed[: room - 1]
    blocks.extend(meeting_block(m, tz, now=now) for m in shown)
    if len(shown) < len(timed):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {len(timed) - len(shown)} more. <{ZOOM_MEETINGS_PAGE}|See all in Zoom>"}]})
    fallback = f"{len(timed)} Zoom meeting{'s' if len(timed) != 1 else ''} today"
    return {"text": fallback, "blocks": blocks}


def reminder_message(*, topic: str, starts_at: datetime, minutes: int, join_url: str, tz: ZoneInfo) -> dict[str, Any]:
    text = f"*{escape(truncate(topic, 200))}* starts in {minutes} min, at {date_token(starts_at, tz)}."
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if join_url.startswith("https://") and len(join_url) <= 3000:
        block["accessory"] = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Join"},
            "style": "primary",
            "url": join_url,
            "action_id": JOIN_ACTION,
        }
    return {"text": f"{escape(truncate(topic, 200))} starts in {minutes} min", "blocks": [block]}
