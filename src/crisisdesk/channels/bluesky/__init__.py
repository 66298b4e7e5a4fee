"""Bluesky: post search and mentions/replies, polled through our account's PDS with a session."""
