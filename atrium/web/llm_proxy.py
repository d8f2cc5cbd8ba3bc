"""``POST /llm/{proxyId}/v1/chat/completions``: OpenAI's chat completions, proxied.

A plain route, not GraphQL: clients are OpenAI SDKs pointed at
``{atrium}/llm/{proxyId}/v1``. The call is admitted (``resolvers.llm.proxy.admit``:
credential, proxy, usage limits; from caches, without a query, when they are warm),
forwarded to the proxy's upstream with one pooled httpx client (the client's body as
it came when nothing in it changes), streamed back chunk by chunk (server-sent events)
or returned whole, and handed to the process's recorder as soon as it is complete: the
recorder counts it at once and writes it a few milliseconds later, off the request
path (``resolvers.llm.recorder``). Refusals are OpenAI-style error bodies: 401 for a
bad key, 404 for an unknown proxy, 429 naming the spent limit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from atrium.resolvers.llm.proxy import (
    Admission,
    LazySession,
    ProxyError,
    StreamReader,
    admit,
    upstream_request,
    usage_of,
)
from atrium.resolvers.llm.recorder import recorder_of
from atrium.resolvers.llm.runtime import LlmRuntime, llm_runtime
from atrium.resolvers.llm.usage import CallRecord
from atrium.web.request import credential_of
from atrium.web.state import AppState

if TYPE_CHECKING:
    import httpx  # imported where a call goes upstream: with its CLI (rich, pygments) 4 MB

logger = logging.getLogger("atrium.llm")
JSON = "application/json"


def _refusal(error: ProxyError) -> Response:
    return Response(error.body(), error.status, headers=error.headers, media_type=JSON)


def _record(runtime: LlmRuntime, admission: Admission, call: CallRecord) -> None:
    try:
        recorder_of(runtime).submit(call, admission.limits)
    except Exception:  # the answer is out (or going): log, never fail it for this
        logger.exception("could not record an LLM proxy call", extra={"model": call.model})


async def chat_completions(request: Request) -> Response:
    started = time.perf_counter()
    state: AppState = request.app.state.atrium
    runtime = llm_runtime(state.services)
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        return _refusal(
            ProxyError(
                400, "The body must be a JSON object", "invalid_request_error", "invalid_json"
            )
        )
    requested = body.get("model")
    sessions = LazySession(state.db.sessionmaker)
    try:
        admission = await admit(
            runtime,
            sessions,
            state.settings,
            request.path_params["proxy_id"],
            credential_of(request),
            requested if isinstance(requested, str) else None,
        )
        await sessions.commit_and_close()  # an API key's last use; nothing otherwise
    except ProxyError as error:
        return _refusal(error)
    finally:
        await sessions.close()
    streamed = bool(body.get("stream"))
    call = CallRecord(
        subject=admission.subject,
        model=admission.model,
        streamed=streamed,
        started=started,
        api_key_id=admission.api_key_id,
        team_id=admission.team_id,
    )
    if streamed:
        return await _stream(runtime, admission, raw, body, call)
    return await _whole(runtime, admission, raw, body, call)


def _upstream_failure(
    runtime: LlmRuntime, admission: Admission, call: CallRecord, error: httpx.HTTPError
) -> Response:
    import httpx

    timeout = isinstance(error, httpx.TimeoutException)
    call.status = 504 if timeout else 502
    call.error = f"{type(error).__name__}: {error}"
    refusal = ProxyError(
        call.status,
        "The upstream model server did not answer in time"
        if timeout
        else f"Cannot reach the upstream model server: {type(error).__name__}",
        "upstream_error",
        "upstream_timeout" if timeout else "upstream_unavailable",
    )
    _record(runtime, admission, call)
    return _refusal(refusal)


async def _whole(
    runtime: LlmRuntime, admission: Admission, raw: bytes, body: dict[str, Any], call: CallRecord
) -> Response:
    import httpx

    content = raw if body.get("model") == admission.model else _with(body, model=admission.model)
    url, headers = upstream_request(admission.proxy)
    try:
        answer = await runtime.http.post(url, content=content, headers=headers)
    except httpx.HTTPError as error:
        return _upstream_failure(runtime, admission, call, error)
    call.status = answer.status_code
    content = answer.content
    if answer.status_code == 200:
        try:
            payload = orjson.loads(content)
        except orjson.JSONDecodeError:
            payload = None
        if isinstance(payload, dict):
            usage = usage_of(payload)
            if usage is not None:
                call.input_tokens, call.output_tokens = usage
            model = payload.get("model")
            call.answered_model = model if isinstance(model, str) else None
    else:
        call.error = content[:500].decode(errors="replace")
    _record(runtime, admission, call)
    return Response(
        content,
        answer.status_code,
        headers=admission.headers(),
        media_type=answer.headers.get("content-type", JSON),
    )


def _with(body: dict[str, Any], **changes: Any) -> bytes:
    return orjson.dumps({**body, **changes})


async def _stream(
    runtime: LlmRuntime, admission: Admission, raw: bytes, body: dict[str, Any], call: CallRecord
) -> Response:
    import httpx

    options = body.get("stream_options")
    options = options if isinstance(options, dict) else {}
    if body.get("model") == admission.model and options.get("include_usage") is True:
        content = raw
    else:
        content = _with(
            body, model=admission.model, stream_options={**options, "include_usage": True}
        )
    url, headers = upstream_request(admission.proxy)
    upstream = runtime.http.build_request("POST", url, content=content, headers=headers)
    try:
        answer = await runtime.http.send(upstream, stream=True)
    except httpx.HTTPError as error:
        return _upstream_failure(runtime, admission, call, error)
    call.status = answer.status_code
    if answer.status_code != 200:
        try:
            content = await answer.aread()
        finally:
            await answer.aclose()
        call.error = content[:500].decode(errors="replace")
        _record(runtime, admission, call)
        return Response(
            content,
            answer.status_code,
            headers=admission.headers(),
            media_type=answer.headers.get("content-type", JSON),
        )
    reader = StreamReader(keep_usage_chunk=bool(options.get("include_usage")))

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for data in answer.aiter_raw():
                out = reader.feed(data)
                if out:
                    yield out
            rest = reader.flush()
            if rest:
                yield rest
        except httpx.HTTPError as error:
            call.error = f"{type(error).__name__}: {error}"
        finally:
            await answer.aclose()
            if reader.usage is not None:
                call.input_tokens, call.output_tokens = reader.usage
            call.answered_model = reader.model
            _record(runtime, admission, call)

    return StreamingResponse(
        relay(),
        200,
        headers={**admission.headers(), "cache-control": "no-cache"},
        media_type="text/event-stream",
    )
