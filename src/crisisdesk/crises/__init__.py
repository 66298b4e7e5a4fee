"""Crises: the one object a team runs an event from, grouping the situations that belong to it."""
