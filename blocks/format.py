"""Small text helpers for Slack's mrkdwn."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_URL = 3000


def escape(text: str) -> str:
    """Escape text from elsewhere (Zoom topics, agendas) so Slack shows it literally.

    Slack's control sequences all start with `<`, so `<!channel>` in a topic becomes
    harmless `&lt;!channel&gt;`.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def format_meeting_id(meeting_id: int | str) -> str:
    """A meeting ID grouped the way Zoom shows it: 123 456 789, 123 456 7890, 812 3456 7890."""
    digits = str(meeting_id)
    if not digits.isdigit():
        return digits
    if len(digits) == 9:
        groups = (3, 3, 3)
    elif len(digits) == 10:
        groups = (3, 3, 4)
    elif len(digits) == 11:
        groups = (3, 4, 4)
    else:
        return digits
    parts, index = [], 0
    for size in groups:
        parts.append(digits[index : index + size])
        index += size
    return " ".join(parts)


def format_duration(minutes: int) -> str:
    """45 min, 1 h, 2 h 15 min."""
    if minutes <= 0:
        return "no set length"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    if not rest:
        return f"{hours} h"
    return f"{hours} h {rest} min"


def clock_time(moment: datetime, tz: ZoneInfo) -> str:
    """9:30 AM, in `tz` (the fallback text of a date token)."""
    local = moment.astimezone(tz)
    return local.strftime("%I:%M %p").lstrip("0")


def day_label(moment: datetime, tz: ZoneInfo) -> str:
    """Friday, December 4."""
    local = moment.astimezone(tz)
    return f"{local.strftime('%A, %B')} {local.day}"


def date_token(moment: datetime, tz: ZoneInfo, template: str = "{time}") -> str:
    """Slack's `<!date^…>` token: each reader sees `moment` in their own timezone.

    The fallback (for clients that cannot render it) is the time in `tz`.
    """
    fallback = clock_time(moment, tz)
    if template != "{time}":
        fallback = f"{day_label(moment, tz)} {fallback}"
    return f"<!date^{int(moment.timestamp())}^{template}|{fallback}>"
