"""Workflows (Archon) in the graph."""
