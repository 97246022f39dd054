"""Stand-ins for Zoom and Slack on 127.0.0.1: one model of each platform, used by the
sandbox (`python bot.py sandbox`) and by zoombot's tests."""

from .slack import FakeSlack
from .slack_signing import SlackRequestSender
from .zoom import FakeZoom, pkce_challenge

__all__ = ["FakeSlack", "FakeZoom", "SlackRequestSender", "pkce_challenge"]
