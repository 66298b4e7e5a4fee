"""The viber connector."""
