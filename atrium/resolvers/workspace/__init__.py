"""A team's workspace (seed 001): tasks, custom objects, and feedback on messages."""
