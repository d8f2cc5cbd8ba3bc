"""Outgoing mail behind one small interface.

The development mailer logs each message and keeps it in memory, so a developer reads
magic links in the server log and tests read them from ``outbox``. A production
deployment plugs in an SMTP or provider mailer by name (``ATRIUM_MAILER``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

logger = logging.getLogger("atrium.mail")


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    body: str
    links: tuple[str, ...] = ()
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class Mailer(Protocol):
    async def send(self, message: MailMessage) -> None: ...


class DevelopmentMailer:
    """Logs messages and keeps the last ``keep`` of them in ``outbox``."""

    def __init__(self, keep: int = 1000) -> None:
        self.keep = keep
        self.outbox: list[MailMessage] = []

    async def send(self, message: MailMessage) -> None:
        self.outbox.append(message)
        del self.outbox[: -self.keep]
        logger.info(
            "mail to %s: %s",
            message.to,
            message.subject,
            extra={"mail_to": message.to, "mail_body": message.body},
        )

    def last_to(self, email: str) -> MailMessage | None:
        for message in reversed(self.outbox):
            if message.to == email:
                return message
        return None


def create_mailer(name: str) -> Mailer:
    if name == "development":
        return DevelopmentMailer()
    raise ValueError(f"Unknown mailer {name!r}; available: development")
