"""Reading `/zoom digest …` and `/zoom remind …`: pure parsing, one friendly error each."""
from __future__ import annotations

from dataclasses import dataclass, field

from .reminders import REMIND_CHOICES
from .schedule import DAILY, WEEKDAYS, parse_clock

DIGEST_USAGE = (
    "Try `/zoom digest on`, `/zoom digest off`, `/zoom digest 08:30` (or `8am`, `5:30 pm`), "
    "`/zoom digest weekdays`, `/zoom digest daily`, or `/zoom digest empty on|off`."
)
REMIND_USAGE = "Try `/zoom remind 5`, `/zoom remind 10`, `/zoom remind 15` or `/zoom remind off`."


@dataclass(frozen=True)
class Parsed:
    changes: dict[str, object] = field(default_factory=dict)
    error: str | None = None

    @property
    def show_only(self) -> bool:
        return self.error is None and not self.changes


def _shown(text: str) -> str:
    text = text[:40]
    return text.replace("`", "'").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def parse_digest(args: list[str]) -> Parsed:
    """`[]` shows the settings; otherwise exactly one change, or an error with an example."""
    if not args:
        return Parsed()
    words = [a.lower() for a in args]
    head = words[0]
    if len(words) == 1 and head in ("on", "off"):
        return Parsed({"digest_enabled": head == "on"})
    if len(words) == 1 and head in (WEEKDAYS, DAILY, "weekday", "everyday"):
        return Parsed({"digest_days": DAILY if head in (DAILY, "everyday") else WEEKDAYS})
    if head == "empty":
        if len(words) == 2 and words[1] in ("on", "off"):
            return Parsed({"digest_when_empty": words[1] == "on"})
        return Parsed(error="Say `/zoom digest empty on` to get a message on days without meetings, or `empty off` to skip them.")
    minute = parse_clock(" ".join(words)) if len(words) <= 2 else None
    if minute is not None:
        return Parsed({"digest_minute": minute, "digest_enabled": True})
    looks_like_time = any(ch.isdigit() for ch in head)
    if looks_like_time:
        return Parsed(error=f"`{_shown(' '.join(args))}` isn't a time I can read. Use 24-hour `HH:MM` like `08:30`, or `8am`, `8:30am`, `5:30 pm`.")
    return Parsed(error=f"I don't know `{_shown(' '.join(args))}` for the digest. {DIGEST_USAGE}")


def parse_remind(args: list[str]) -> Parsed:
    if not args:
        return Parsed()
    if len(args) == 1:
        word = args[0].lower().removesuffix("m").removesuffix("min")
        if word == "off":
            return Parsed({"remind_minutes": None})
        if word.isdigit() and int(word) in REMIND_CHOICES:
            return Parsed({"remind_minutes": int(word)})
    return Parsed(error=f"`{_shown(' '.join(args))}` isn't a reminder I can set. {REMIND_USAGE}")
