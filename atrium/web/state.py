"""What the application holds for its lifetime, on ``app.state.atrium``."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry
from ulid import ULID

from atrium.core.config import Settings
from atrium.core.db import Database
from atrium.core.services import Services


@dataclass
class AppState:
    settings: Settings
    db: Database
    services: Services
    schema: strawberry.Schema


def new_request_id() -> str:
    return f"req_{ULID()}"
