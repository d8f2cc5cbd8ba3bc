"""SQLAlchemy models, one module per domain. Importing this package registers them all."""

from atrium.models import architecture, auth, events, identity, jobs, webhooks
from atrium.models.base import Base

__all__ = ["Base", "architecture", "auth", "events", "identity", "jobs", "webhooks"]
