"""Code health (Octokraft) in the graph."""
