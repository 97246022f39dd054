"""The HTTP edge: Flask routes beside Bolt (Slack's requests, Zoom's callback, health)."""
