"""Replies from any server speaking OpenAI's chat completions protocol, via the official SDK.

That covers OpenAI itself and the self-hosted servers that copy its API (vLLM, Ollama,
llama.cpp, LiteLLM, ...), so one provider serves them all.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Sequence
from typing import cast

import httpx2
import openai
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletionMessageParam

from atrium.providers.base import (
    ChatMessage,
    Delta,
    ProviderConfig,
    ProviderError,
    StreamItem,
    Usage,
    estimate_input_tokens,
    estimate_tokens,
)

OPENAI_BASE_URL = "https://api.openai.com/v1"
# The SDK refuses to start without a key and would otherwise read OPENAI_API_KEY from the
# environment; a keyless local server ignores this one, and OpenAI answers it with a 401.
NO_API_KEY = "atrium-no-api-key"


def _to_openai(messages: Sequence[ChatMessage]) -> list[ChatCompletionMessageParam]:
    """The messages as the API takes them.

    A "tool" message is sent as a user message labelled as tool output: the API accepts the
    tool role only as the answer to a tool call the model made (it requires that call's id),
    which a tool message posted into a thread never is, so OpenAI would reject the request.
    """
    payload: list[dict[str, str]] = []
    for message in messages:
        item = {"role": message.role, "content": message.content}
        if message.role == "tool":
            label = f"tool output from {message.name}" if message.name else "tool output"
            item = {"role": "user", "content": f"[{label}]\n{message.content}"}
        elif message.name is not None:
            item["name"] = message.name
        payload.append(item)
    return cast("list[ChatCompletionMessageParam]", payload)


# The SDK wraps transport errors in its own exceptions, except while it reads the body of an
# error response: a 5xx whose body stalls raises httpx2.ReadTimeout unwrapped, hence the
# httpx2 classes here. A malformed stream event raises json.JSONDecodeError, also unwrapped.
_TIMEOUTS = (openai.APITimeoutError, httpx2.TimeoutException)
_UNREACHABLE = (openai.APIConnectionError, httpx2.TransportError)
SDK_ERRORS = (openai.OpenAIError, httpx2.TransportError, json.JSONDecodeError)


def provider_error(error: Exception) -> ProviderError:
    """Translate the SDK's exceptions into provider-neutral codes the reply job can act on."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    status = getattr(error, "status_code", None)
    if isinstance(error, _TIMEOUTS):  # first: APITimeoutError is an APIConnectionError
        return ProviderError("timeout", "the model server did not answer in time", retryable=True)
    if isinstance(error, _UNREACHABLE):
        return ProviderError(
            "unavailable", f"cannot reach the model server: {message}", retryable=True
        )
    if isinstance(error, json.JSONDecodeError):
        return ProviderError(
            "upstream", f"malformed event from the model server: {error}", retryable=True
        )
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return ProviderError("unauthorized", message, retryable=False, status=status)
    if isinstance(error, openai.RateLimitError):
        return ProviderError("rate_limited", message, retryable=True, status=status)
    if isinstance(error, openai.APIStatusError):
        if error.status_code == 408:
            return ProviderError("timeout", message, retryable=True, status=status)
        if error.status_code >= 500:
            return ProviderError("upstream", message, retryable=True, status=status)
        return ProviderError("bad_request", message, retryable=False, status=status)
    # An error event inside the stream, or a body the SDK could not read.
    return ProviderError("upstream", message, retryable=True, status=status)


class OpenAICompatibleProvider:
    """Streams chat completions from an OpenAI-compatible server.

    Each reply opens its own SDK client and closes it when the stream ends, fails or is closed
    early, so no connection outlives the reply. The SDK's own retries are off: whether and when
    to retry is the reply job's decision, guided by ``ProviderError.retryable``.

    Token counts come from the server's usage chunk (requested with ``include_usage``). Servers
    that ignore that option send none; the counts are then estimated as the offline provider
    does (characters / 4) from the messages sent and the text received.
    """

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def _client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            base_url=self.config.base_url or OPENAI_BASE_URL,
            api_key=self.config.api_key or NO_API_KEY,
            timeout=self.config.timeout_seconds,
            max_retries=0,
        )

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncGenerator[StreamItem, None]:
        config = self.config
        model, output_chars = config.model, 0
        finish_reason: str | None = None
        usage: CompletionUsage | None = None
        try:
            async with self._client() as client:
                chunks = await client.chat.completions.create(
                    model=config.model,
                    messages=_to_openai(messages),
                    stream=True,
                    stream_options={"include_usage": True},
                    temperature=openai.omit if config.temperature is None else config.temperature,
                    max_tokens=openai.omit if config.max_tokens is None else config.max_tokens,
                )
                async with chunks:
                    async for chunk in chunks:
                        model = chunk.model or model
                        usage = chunk.usage or usage
                        for choice in chunk.choices:
                            if choice.index != 0:  # only one choice is asked for
                                continue
                            finish_reason = choice.finish_reason or finish_reason
                            if choice.delta.content:
                                output_chars += len(choice.delta.content)
                                yield Delta(choice.delta.content)
        except SDK_ERRORS as error:
            raise provider_error(error) from error
        if usage is None:
            tokens = estimate_input_tokens(messages), estimate_tokens(output_chars)
        else:
            tokens = usage.prompt_tokens, usage.completion_tokens
        yield Usage(model, *tokens, finish_reason)
