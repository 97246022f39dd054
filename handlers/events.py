"""Events API listeners."""
from __future__ import annotations

from slack_bolt import App

from services.container import Services


def register(app: App, services: Services) -> None:
    """No events are handled yet; the token lifecycle and App Home work add them here."""
