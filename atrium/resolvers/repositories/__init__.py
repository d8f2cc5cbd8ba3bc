"""Repositories (Archon codebases, Octokraft repos): clones, syncs and worktrees."""
