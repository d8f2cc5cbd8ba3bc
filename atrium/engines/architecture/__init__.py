"""Pure engines over an architecture: validation, cost, scalability, threats, diff, documents."""
