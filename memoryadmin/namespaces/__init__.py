"""Namespaces: the hard isolation boundary of the memory (one per project or team)."""
