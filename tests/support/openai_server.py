"""A real loopback HTTP server speaking the OpenAI chat completions protocol.

It answers ``POST /v1/chat/completions`` streamed (server-sent events) or as one JSON body,
records every request, and can be told how to answer the next ones: given text in given
chunks, an error status with an OpenAI error body, or a stall that sends part of a reply and
then nothing until the client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from tests.support.server import serve

Scope = dict[str, Any]
Message = dict[str, Any]


@dataclass
class Answer:
    """How the fake answers one request.

    ``stall_after`` set: stream that many content chunks (0: not even the response headers),
    then wait until the client disconnects.
    """

    chunks: list[str] = field(default_factory=lambda: ["Hello", " from", " the fake."])
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = (11, 7)  # prompt tokens, completion tokens
    model: str | None = None  # the model the fake says answered; the requested one if None
    status: int = 200
    error: dict[str, Any] | None = None
    stall_after: int | None = None


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    disconnected: bool = False  # the client went away before the fake finished answering

    @property
    def model(self) -> str:
        return str(self.body.get("model"))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))


@dataclass
class FakeOpenAI:
    base_url: str = ""
    answers: list[Answer] = field(default_factory=list)  # used in order, then Answer()
    requests: list[Recorded] = field(default_factory=list)
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    def reset(self) -> None:
        """Forget requests and pending answers, so tests can share one server."""
        self.answers.clear()
        self.requests.clear()

    def reply(self, chunks: list[str], **options: Any) -> None:
        self.answers.append(Answer(chunks=chunks, **options))

    def fail(self, status: int, message: str, type_: str, code: str | None = None) -> None:
        error = {"message": message, "type": type_, "param": None, "code": code}
        self.answers.append(Answer(status=status, error=error))

    def stall(self, after_chunks: int = 0, chunks: list[str] | None = None) -> None:
        answer = Answer(stall_after=after_chunks)
        if chunks is not None:
            answer.chunks = chunks
        self.answers.append(answer)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request = Recorded(scope["path"], headers, json.loads(body or b"{}"))
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else Answer()
        try:
            if scope["path"] != "/v1/chat/completions":
                await _json(send, 404, _error("no such route", "invalid_request_error"))
            elif answer.status != 200:
                await _json(send, answer.status, {"error": answer.error or {}})
            elif answer.stall_after == 0:
                await self._until_disconnect(receive, request)
            elif request.body.get("stream"):
                await self._stream(answer, request, receive, send)
            else:
                await _json(send, 200, _completion(answer, request))
        finally:
            request.finished.set()

    async def _stream(self, answer: Answer, request: Recorded, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        model = answer.model or request.model
        chunks = [_chunk(model, {"role": "assistant", "content": ""})]
        chunks += [_chunk(model, {"content": text}) for text in answer.chunks]
        if answer.stall_after is not None:
            for data in chunks[: answer.stall_after + 1]:  # the role chunk, then content
                await _event(send, data)
            await self._until_disconnect(receive, request)
            return
        chunks.append(_chunk(model, {}, answer.finish_reason))
        include_usage = (request.body.get("stream_options") or {}).get("include_usage")
        if include_usage and answer.usage is not None:
            chunks.append({**_chunk(model, {}), "choices": [], "usage": _usage(answer.usage)})
        for data in chunks:
            await _event(send, data)
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})

    async def _until_disconnect(self, receive: Any, request: Recorded) -> None:
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            while True:
                message = asyncio.ensure_future(receive())
                await asyncio.wait({message, closing}, return_when=asyncio.FIRST_COMPLETED)
                if not message.done():
                    message.cancel()
                    return
                if message.result()["type"] == "http.disconnect":
                    request.disconnected = True
                    return
        finally:
            closing.cancel()


def _error(message: str, type_: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": None}}


def _usage(usage: tuple[int, int]) -> dict[str, int]:
    prompt, completion = usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None = None) -> Message:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _completion(answer: Answer, request: Recorded) -> Message:
    message = {"role": "assistant", "content": "".join(answer.chunks)}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": answer.model or request.model,
        "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason}],
        "usage": _usage(answer.usage) if answer.usage else None,
    }


async def _event(send: Any, data: Message) -> None:
    body = b"data: " + json.dumps(data).encode() + b"\n\n"
    await send({"type": "http.response.body", "body": body, "more_body": True})


async def _json(send: Any, status: int, payload: Message) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    """Yield a running fake; its ``base_url`` ends in ``/v1`` as the SDK expects."""
    fake = FakeOpenAI()
    async with serve(fake) as url:
        fake.base_url = f"{url}/v1"
        try:
            yield fake
        finally:
            fake._closing.set()  # release stalled answers so the server can stop
