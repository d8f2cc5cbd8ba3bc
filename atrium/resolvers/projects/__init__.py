"""Code-health projects (seed 003, Octokraft): members, invitations, repositories."""
