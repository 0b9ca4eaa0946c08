"""Maintainers' scripts (not installed with landreg)."""
