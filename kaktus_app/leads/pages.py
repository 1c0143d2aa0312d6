"""Pages of this module."""
