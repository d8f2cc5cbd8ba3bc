"""Threads and messages in the graph."""
