"""The OpenAI-compatible provider against a real loopback server speaking the protocol."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from atrium.providers import (
    ChatMessage,
    Delta,
    ProviderConfig,
    ProviderError,
    StreamItem,
    Usage,
    create_provider,
)
from atrium.providers.openai_compatible import NO_API_KEY, OpenAICompatibleProvider
from tests.support.openai_server import FakeOpenAI, Recorded, openai_server
from tests.support.redis_server import free_port

MESSAGES = [
    ChatMessage("system", "You are Ada, the release helper."),
    ChatMessage("user", "When is the next release?", name="grace"),
]


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[FakeOpenAI]:
    async with openai_server() as running:
        yield running


@pytest.fixture
def fake(server: FakeOpenAI) -> FakeOpenAI:
    server.reset()
    return server


def _provider(base_url: str, **overrides: Any) -> OpenAICompatibleProvider:
    options: dict[str, Any] = {"api_key": "sk-test", "timeout_seconds": 5.0, **overrides}
    return OpenAICompatibleProvider(
        ProviderConfig(kind="openai", model="gpt-4o-mini", base_url=base_url, **options)
    )


async def _collect_messages(
    provider: OpenAICompatibleProvider, messages: list[ChatMessage]
) -> list[StreamItem]:
    return [item async for item in provider.stream(messages)]


async def _collect(provider: OpenAICompatibleProvider) -> list[StreamItem]:
    return await _collect_messages(provider, MESSAGES)


async def _failure(provider: OpenAICompatibleProvider) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await _collect(provider)
    return caught.value


async def _ended(request: Recorded) -> None:
    async with asyncio.timeout(5):
        await request.finished.wait()


async def test_deltas_arrive_in_order_and_usage_is_the_servers(fake: FakeOpenAI) -> None:
    # given a server that streams four pieces and reports usage for a dated model
    fake.reply(["The", " answer", " is", " 42."], usage=(21, 4), model="gpt-4o-mini-2024-07-18")
    # when the provider streams a reply
    items = await _collect(_provider(fake.base_url))
    # then each piece is a delta, in order (the empty role chunk is skipped), then the usage
    assert items == [
        Delta("The"),
        Delta(" answer"),
        Delta(" is"),
        Delta(" 42."),
        Usage("gpt-4o-mini-2024-07-18", input_tokens=21, output_tokens=4, finish_reason="stop"),
    ]


async def test_request_carries_model_messages_and_key(fake: FakeOpenAI) -> None:
    await _collect(_provider(fake.base_url))
    [request] = fake.requests
    assert request.path == "/v1/chat/completions"
    assert request.model == "gpt-4o-mini"
    assert request.messages == [
        {"role": "system", "content": "You are Ada, the release helper."},
        {"role": "user", "content": "When is the next release?", "name": "grace"},
    ]
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert "temperature" not in request.body
    assert "max_tokens" not in request.body


async def test_temperature_and_max_tokens_are_sent_when_set(fake: FakeOpenAI) -> None:
    await _collect(_provider(fake.base_url, temperature=0.2, max_tokens=64))
    [request] = fake.requests
    assert (request.body["temperature"], request.body["max_tokens"]) == (0.2, 64)


async def test_tool_messages_are_sent_as_labelled_user_messages(fake: FakeOpenAI) -> None:
    # given tool output posted into the thread (no tool call of the model's to answer)
    provider = _provider(fake.base_url)
    tool = ChatMessage("tool", '{"build": "green"}', name="ci")
    # when it is part of the conversation
    await _collect_messages(provider, [*MESSAGES, tool])
    # then it goes as a user message saying what it is (OpenAI rejects a bare tool message)
    assert fake.requests[0].messages[-1] == {
        "role": "user",
        "content": '[tool output from ci]\n{"build": "green"}',
    }


async def test_without_a_key_the_environment_key_is_not_sent(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a keyless config (a local model server) and a key in the environment
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    # when a reply is streamed
    await _collect(_provider(fake.base_url, api_key=None))
    # then the SDK sent the placeholder, not the environment's key
    assert fake.requests[0].headers["authorization"] == f"Bearer {NO_API_KEY}"


async def test_usage_is_estimated_when_the_server_sends_none(fake: FakeOpenAI) -> None:
    fake.reply(["Twelve chars", " and more."], usage=None, finish_reason="length")
    *_, usage = await _collect(_provider(fake.base_url))
    input_chars = sum(len(message.content) for message in MESSAGES)
    assert usage == Usage(
        model="gpt-4o-mini",
        input_tokens=math.ceil(input_chars / 4),
        output_tokens=math.ceil(len("Twelve chars and more.") / 4),
        finish_reason="length",
    )


@pytest.mark.parametrize(
    ("status", "error_type", "code", "retryable"),
    [
        (401, "invalid_request_error", "unauthorized", False),
        (403, "invalid_request_error", "unauthorized", False),
        (429, "rate_limit_exceeded", "rate_limited", True),
        (500, "server_error", "upstream", True),
        (503, "server_error", "upstream", True),
        (400, "invalid_request_error", "bad_request", False),
        (404, "invalid_request_error", "bad_request", False),
    ],
)
async def test_error_statuses_map_to_provider_errors(
    fake: FakeOpenAI, status: int, error_type: str, code: str, retryable: bool
) -> None:
    # given a server answering with an OpenAI error body
    fake.fail(status, f"the server says {status}", error_type, code="some_code")
    # when a reply is streamed
    error = await _failure(_provider(fake.base_url))
    # then the error says why, whether to retry, and the server's words
    assert (error.code, error.retryable, error.status) == (code, retryable, status)
    assert f"the server says {status}" in str(error)
    assert len(fake.requests) == 1  # the SDK did not retry on its own


@pytest.mark.parametrize("stall_after", [0, 1], ids=["before-headers", "mid-stream"])
async def test_a_stalled_server_times_out(fake: FakeOpenAI, stall_after: int) -> None:
    # given a server that goes quiet (before answering, or after one piece)
    fake.stall(after_chunks=stall_after, chunks=["First", " second"])
    provider = _provider(fake.base_url, timeout_seconds=0.3)
    received: list[StreamItem] = []
    # when a reply is streamed
    with pytest.raises(ProviderError) as caught:
        async for item in provider.stream(MESSAGES):
            received.append(item)
    # then it fails as a retryable timeout, after what had arrived, and hangs up
    assert (caught.value.code, caught.value.retryable) == ("timeout", True)
    assert received == [Delta("First")][:stall_after]
    await _ended(fake.requests[0])
    assert fake.requests[0].disconnected


async def test_a_closed_port_is_unavailable() -> None:
    provider = _provider(f"http://127.0.0.1:{free_port()}/v1")
    error = await _failure(provider)
    assert (error.code, error.retryable, error.status) == ("unavailable", True, None)


@pytest.mark.filterwarnings("error")
async def test_a_consumer_that_stops_early_closes_the_connection(fake: FakeOpenAI) -> None:
    # given a server that sends one piece and would keep the response open
    fake.stall(after_chunks=1, chunks=["First", " second"])
    # when the consumer takes the first piece and closes the stream
    async with contextlib.aclosing(_provider(fake.base_url).stream(MESSAGES)) as stream:
        first = await anext(stream)
    # then the server sees the client hang up
    assert first == Delta("First")
    await _ended(fake.requests[0])
    assert fake.requests[0].disconnected


@pytest.mark.filterwarnings("error")
async def test_an_abandoned_stream_is_closed_by_the_event_loop(fake: FakeOpenAI) -> None:
    # given the same server, and a consumer that breaks out without closing the stream
    fake.stall(after_chunks=1, chunks=["First", " second"])
    async for item in _provider(fake.base_url).stream(MESSAGES):
        assert item == Delta("First")
        break
    # then the loop finalizes the generator, which hangs up too
    await _ended(fake.requests[0])
    assert fake.requests[0].disconnected


async def test_the_fake_also_answers_without_streaming(fake: FakeOpenAI) -> None:
    fake.reply(["Whole", " reply."], usage=(5, 2))
    async with openai.AsyncOpenAI(base_url=fake.base_url, api_key="k", max_retries=0) as client:
        completion = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    assert completion.choices[0].message.content == "Whole reply."
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (5, 2)


def test_factory_builds_the_openai_compatible_provider() -> None:
    config = ProviderConfig(kind="openai", model="gpt-4o-mini", base_url="http://127.0.0.1:1/v1")
    provider = create_provider(config)
    assert isinstance(provider, OpenAICompatibleProvider)
    assert provider.config is config
