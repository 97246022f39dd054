"""Every time limit in one place."""
from datetime import timedelta

# How long a Connect Zoom link stays valid (the OAuth state's lifetime).
OAUTH_STATE_LIFETIME = timedelta(minutes=10)
# Refresh on demand when the access token has less than this left.
REFRESH_MARGIN = timedelta(seconds=60)
# The sweep refreshes every grant that expires within this window.
SWEEP_WINDOW = timedelta(minutes=10)
# How often the sweep runs.
SWEEP_INTERVAL = timedelta(minutes=4)
# After a transient refresh failure, wait this long (doubling, capped) before the sweep retries.
REFRESH_RETRY_BASE = timedelta(seconds=30)
REFRESH_RETRY_MAX = timedelta(minutes=5)
# How long the Connect Zoom link in a DM (which may be read days later) stays valid.
CONNECT_LINK_LIFETIME = timedelta(days=7)
