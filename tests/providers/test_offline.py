"""The offline provider: a deterministic, plainly labelled reply, streamed like a real one."""

from __future__ import annotations

import asyncio
import math

import pytest

from atrium.providers import (
    ChatMessage,
    ChatProvider,
    Delta,
    OfflineProvider,
    ProviderConfig,
    StreamItem,
    Usage,
    create_provider,
)

CONVERSATION = [
    ChatMessage("system", "You are Ada, the release helper.\nAnswer briefly."),
    ChatMessage("user", "When is the next release?", name="grace"),
    ChatMessage("assistant", "Friday."),
    ChatMessage("user", "Can   we ship\nthe docs fix too?", name="grace"),
]


async def _collect(provider: ChatProvider, messages: list[ChatMessage]) -> list[StreamItem]:
    return [item async for item in provider.stream(messages)]


def _text(items: list[StreamItem]) -> str:
    return "".join(item.text for item in items if isinstance(item, Delta))


async def test_reply_says_it_is_offline_and_echoes_the_conversation() -> None:
    # given an offline provider, whatever model the config names
    provider = OfflineProvider(ProviderConfig(kind="offline", model="gpt-4o-mini"))
    # when it answers a conversation
    items = await _collect(provider, CONVERSATION)
    # then the reply is labelled, names the agent it stands for and quotes the last question
    text = _text(items)
    assert text.startswith("[offline] No model provider is configured")
    assert 'model "offline"' in text
    assert "I would answer as: You are Ada, the release helper." in text
    assert "Answer briefly" not in text
    assert 'You said: "Can we ship the docs fix too?"' in text
    assert "When is the next release" not in text


async def test_reply_streams_several_deltas_then_one_usage_with_estimated_tokens() -> None:
    items = await _collect(OfflineProvider(), CONVERSATION)
    *deltas, usage = items
    assert len(deltas) >= 5
    assert all(isinstance(delta, Delta) and delta.text for delta in deltas)
    input_chars = sum(len(message.content) for message in CONVERSATION)
    assert usage == Usage(
        model="offline",
        input_tokens=math.ceil(input_chars / 4),
        output_tokens=math.ceil(len(_text(items)) / 4),
        finish_reason="stop",
    )


async def test_reply_is_deterministic() -> None:
    first = await _collect(OfflineProvider(), CONVERSATION)
    second = await _collect(OfflineProvider(), CONVERSATION)
    assert first == second


async def test_long_messages_are_summarized() -> None:
    # given a user message of 1,000 characters
    items = await _collect(OfflineProvider(), [ChatMessage("user", "x" * 1000)])
    # then the reply quotes only its first 200
    text = _text(items)
    assert f'You said: "{"x" * 200}..."' in text
    assert "x" * 201 not in text


async def test_no_messages_still_get_a_valid_reply() -> None:
    items = await _collect(OfflineProvider(), [])
    assert _text(items).startswith("[offline]")
    assert "no message to answer" in _text(items)
    assert isinstance(items[-1], Usage)
    assert items[-1].input_tokens == 0
    assert items[-1].output_tokens > 0


async def test_listeners_see_the_reply_piece_by_piece() -> None:
    # given a provider that pauses between pieces, and a listener recording what it gets
    provider = OfflineProvider(delay_seconds=0.01)
    received: list[StreamItem] = []
    first_piece = asyncio.Event()

    async def listen() -> None:
        async for item in provider.stream(CONVERSATION):
            received.append(item)
            first_piece.set()

    listener = asyncio.create_task(listen())
    # when the first piece arrives
    async with asyncio.timeout(5):
        await first_piece.wait()
    # then it is alone: the rest of the reply is still to come
    assert len(received) == 1
    assert isinstance(received[0], Delta)
    async with asyncio.timeout(5):
        await listener
    assert len(received) > 2
    assert isinstance(received[-1], Usage)
    assert all(isinstance(item, Delta) for item in received[:-1])


def test_factory_builds_the_offline_provider() -> None:
    config = ProviderConfig(kind="offline", model="offline")
    provider = create_provider(config)
    assert isinstance(provider, OfflineProvider)
    assert provider.config is config


def test_factory_rejects_an_unknown_kind_by_name() -> None:
    with pytest.raises(ValueError, match="'anthropic'"):
        create_provider(ProviderConfig(kind="anthropic", model="claude"))
