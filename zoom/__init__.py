"""Everything about Zoom: OAuth, the REST client and webhook verification.

This package knows nothing of Slack or of our database: callers hand it tokens and
get plain data back.
"""
