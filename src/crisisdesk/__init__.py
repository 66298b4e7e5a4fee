"""crisisdesk: a social-media crisis management hub."""

__version__ = "0.1.0"
