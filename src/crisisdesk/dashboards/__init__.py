"""Dashboards: what the overview and the monitor pages show, read from rollups (see docs/dashboards.md)."""
