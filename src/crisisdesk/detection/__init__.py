"""Detection: per-monitor rollups, spike detectors, severity against the playbook, situations."""
