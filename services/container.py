"""The services the listeners and web routes use, built once by bot.py."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from settings import Settings
from storage.db import Database
from storage.grants import GrantStore
from storage.states import OAuthStateStore
from zoom.api import ZoomApi
from zoom.oauth import ZoomOAuth

from .clock import Clock
from .connect import ConnectService
from .meetings import MeetingService
from .notify import Notifier
from .people import TimezoneDirectory
from .tokens import TokenManager


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    grants: GrantStore
    states: OAuthStateStore
    oauth: ZoomOAuth
    zoom_api: ZoomApi
    tokens: TokenManager
    connect: ConnectService
    meetings: MeetingService
    timezones: TimezoneDirectory
    notifier: Notifier
    background: ThreadPoolExecutor
    sweep: Any = None  # jobs.refresh.RefreshSweep, set by bot.py once built
