"""The chat-model provider interface: all the reply job knows about a model backend.

Providers turn a conversation into a stream of reply text followed by one usage record, so
the job can relay text to listeners as it arrives and account for tokens at the end without
caring whether a real model, a self-hosted server or the offline stand-in answered.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

ErrorCode: TypeAlias = Literal[
    "unauthorized", "rate_limited", "timeout", "unavailable", "bad_request", "upstream"
]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of the conversation sent to the model.

    ``role`` is "system", "user", "assistant" or "tool"; ``name`` tells apart several
    participants sharing a role (members of a thread, or agents).
    """

    role: str
    content: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """How to reach a model; immutable so one config can be shared by concurrent replies.

    ``kind`` is "offline" or "openai". ``base_url`` and ``api_key`` point the OpenAI-compatible
    provider at any server speaking that protocol (OpenAI itself when ``base_url`` is None).
    ``timeout_seconds`` bounds each wait on the network (connecting, or the gap between two
    pieces of a streamed reply), not the whole reply, so long answers are not cut off.
    ``temperature`` and ``max_tokens`` are sent only when set, leaving the server's defaults.
    """

    kind: str
    model: str
    base_url: str | None = None
    api_key: str | None = None
    timeout_seconds: float = 60.0
    temperature: float | None = None
    max_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of reply text; the pieces of a stream, joined in order, are the reply."""

    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    """The last item of every stream: which model answered and what the reply cost.

    ``finish_reason`` is the model's own word for why it stopped ("stop", "length", ...), or
    None when the server did not say.
    """

    model: str
    input_tokens: int
    output_tokens: int
    finish_reason: str | None


StreamItem: TypeAlias = Delta | Usage


class ProviderError(Exception):
    """A reply failed; ``code`` says why in provider-neutral words.

    ``retryable`` tells the reply job whether trying again later can help (rate limits,
    timeouts, outages) or not (a bad key, a request the server rejects). ``status`` is the
    HTTP status the server answered with, when there was one.
    """

    def __init__(
        self, code: ErrorCode, message: str, *, retryable: bool, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.retryable = retryable
        self.status = status

    def __repr__(self) -> str:
        return (
            f"ProviderError(code={self.code!r}, message={self.message!r}, "
            f"retryable={self.retryable}, status={self.status})"
        )


class ChatProvider(Protocol):
    """A model backend that streams replies.

    ``stream`` yields ``Delta`` items in order and then exactly one ``Usage``, or raises
    ``ProviderError``. It does nothing until iterated. A consumer that stops early should close
    the stream (``contextlib.aclosing``) so the provider releases its connection at once
    rather than when the event loop finalizes the abandoned generator; that is why ``stream``
    is typed as an async generator, which has ``aclose``, not as a bare async iterator.
    """

    config: ProviderConfig

    def stream(self, messages: Sequence[ChatMessage]) -> AsyncGenerator[StreamItem, None]: ...


def estimate_tokens(chars: int) -> int:
    """Roughly four characters per token: good enough to account for a reply when the server
    reports no usage (or there is no server), without shipping a tokenizer."""
    return math.ceil(chars / 4)


def estimate_input_tokens(messages: Iterable[ChatMessage]) -> int:
    """The estimate of ``estimate_tokens`` over the text of every message sent."""
    return estimate_tokens(sum(len(message.content) for message in messages))
