"""Code health (seed 003, Octokraft): assessments, findings, dismissals, drift."""
