"""Knowledge-base text processing: pure, no I/O."""
