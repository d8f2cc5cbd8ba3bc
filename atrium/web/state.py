"""What the application holds for its lifetime, on ``app.state.atrium``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import strawberry
from ulid import ULID

from atrium.core.config import Settings
from atrium.core.db import Database
from atrium.core.services import Services

if TYPE_CHECKING:
    from atrium.web.fanout import FanoutHub


@dataclass
class AppState:
    settings: Settings
    db: Database
    services: Services
    schema: strawberry.Schema
    hub: FanoutHub = field(init=False)

    def __post_init__(self) -> None:
        from atrium.web.fanout import FanoutHub

        self.hub = FanoutHub(self)


def new_request_id() -> str:
    return f"req_{ULID()}"
