"""Mastodon: mentions of our account and hashtag timelines, polled with ``min_id`` cursors."""
