"""What zoombot does, between the Slack listeners and the Zoom and storage packages."""
