"""Threads and messages (seed 001 threads, seed 004 conversations) and agent replies."""
