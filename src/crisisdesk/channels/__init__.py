"""Everything platform-specific lives here, one package per platform, behind :mod:`.base`."""
