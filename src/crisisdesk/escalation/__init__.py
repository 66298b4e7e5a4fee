"""Escalation: who hears about a situation, in which order, until somebody acknowledges it."""
