"""A provider that needs no model: development, demos and tests get replies offline."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Sequence

from atrium.providers.base import (
    ChatMessage,
    Delta,
    ProviderConfig,
    StreamItem,
    Usage,
    estimate_input_tokens,
    estimate_tokens,
)

MODEL = "offline"
SUMMARY_CHARS = 200
WORDS_PER_DELTA = 3


def _shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + "..."


def reply_text(messages: Sequence[ChatMessage]) -> str:
    """The whole offline reply: it says plainly that no model answered, so nobody mistakes it
    for one, and echoes enough of the conversation to show the plumbing works."""
    parts = [
        "[offline] No model provider is configured, so this reply comes from the built-in "
        f'offline provider (model "{MODEL}").'
    ]
    system = next((m.content for m in messages if m.role == "system" and m.content.strip()), "")
    if system:
        first_line = next(line for line in system.splitlines() if line.strip())
        parts.append(f"I would answer as: {_shorten(first_line)}")
    last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    if last_user.strip():
        parts.append(f'You said: "{_shorten(last_user)}"')
    else:
        parts.append("There was no message to answer.")
    return " ".join(parts)


def _word_groups(text: str) -> list[str]:
    words = re.findall(r"\S+\s*", text)
    return ["".join(words[i : i + WORDS_PER_DELTA]) for i in range(0, len(words), WORDS_PER_DELTA)]


class OfflineProvider:
    """Deterministic replies without network access, streamed in word groups so listeners
    exercise the same streaming path as with a real model.

    ``delay_seconds`` spaces the pieces out so a test can watch them arrive one by one.
    """

    def __init__(self, config: ProviderConfig | None = None, *, delay_seconds: float = 0.0) -> None:
        self.config = config or ProviderConfig(kind="offline", model=MODEL)
        self.delay_seconds = delay_seconds

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncGenerator[StreamItem, None]:
        text = reply_text(messages)
        for index, piece in enumerate(_word_groups(text)):
            if index:
                # Yields to the loop even at 0 s, so consumers interleave as with a real model.
                await asyncio.sleep(self.delay_seconds)
            yield Delta(piece)
        yield Usage(
            model=MODEL,
            input_tokens=estimate_input_tokens(messages),
            output_tokens=estimate_tokens(len(text)),
            finish_reason="stop",
        )
