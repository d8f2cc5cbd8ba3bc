"""``POST /llm/{proxyId}/v1/chat/completions``: OpenAI's chat completions, proxied.

A plain route, not GraphQL: clients are OpenAI SDKs pointed at
``{atrium}/llm/{proxyId}/v1``. The call is admitted (``resolvers.llm.proxy.admit``:
credential, proxy, usage limits), forwarded to the proxy's upstream with one pooled
httpx client, streamed back chunk by chunk (server-sent events) or returned whole, and
recorded after the answer has left (a background task). Refusals are OpenAI-style error
bodies: 401 for a bad key, 404 for an unknown proxy, 429 naming the spent limit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from atrium.core.context import Context
from atrium.resolvers.llm.proxy import (
    Admission,
    ProxyError,
    StreamReader,
    admit,
    upstream_request,
    usage_of,
)
from atrium.resolvers.llm.runtime import llm_runtime
from atrium.resolvers.llm.usage import CallRecord, record_call, recording_principal
from atrium.web.request import credential_of
from atrium.web.state import AppState

logger = logging.getLogger("atrium.llm")
JSON = "application/json"


def _refusal(error: ProxyError) -> Response:
    return Response(error.body(), error.status, headers=error.headers, media_type=JSON)


async def _record(state: AppState, call: CallRecord) -> None:
    context = Context(
        db=state.db,
        settings=state.settings,
        services=state.services,
        principal=recording_principal(call.subject, call.api_key_id),
    )
    try:
        await record_call(context, call)
    except Exception:  # the answer is already out: log, never raise into the server
        logger.exception("could not record an LLM proxy call", extra={"model": call.model})
    finally:
        await context.close()


async def chat_completions(request: Request) -> Response:
    started = time.perf_counter()
    state: AppState = request.app.state.atrium
    runtime = llm_runtime(state.services)
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        return _refusal(
            ProxyError(
                400, "The body must be a JSON object", "invalid_request_error", "invalid_json"
            )
        )
    requested = body.get("model")
    session = state.db.sessionmaker()
    try:
        admission = await admit(
            runtime,
            session,
            state.settings,
            request.path_params["proxy_id"],
            credential_of(request),
            requested if isinstance(requested, str) else None,
        )
        await session.commit()  # an API key's last use; nothing otherwise
    except ProxyError as error:
        return _refusal(error)
    finally:
        await session.close()
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
        return await _stream(state, admission, body, call)
    return await _whole(state, admission, body, call)


def _upstream_failure(state: AppState, call: CallRecord, error: httpx.HTTPError) -> Response:
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
    response = _refusal(refusal)
    response.background = BackgroundTask(_record, state, call)
    return response


async def _whole(
    state: AppState, admission: Admission, body: dict[str, Any], call: CallRecord
) -> Response:
    runtime = llm_runtime(state.services)
    upstream_body = {**body, "model": admission.model}
    url, headers = upstream_request(admission.proxy, upstream_body)
    try:
        answer = await runtime.http.post(url, content=orjson.dumps(upstream_body), headers=headers)
    except httpx.HTTPError as error:
        return _upstream_failure(state, call, error)
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
    call.finish()
    return Response(
        content,
        answer.status_code,
        headers=admission.headers(),
        media_type=answer.headers.get("content-type", JSON),
        background=BackgroundTask(_record, state, call),
    )


async def _stream(
    state: AppState, admission: Admission, body: dict[str, Any], call: CallRecord
) -> Response:
    runtime = llm_runtime(state.services)
    options = body.get("stream_options")
    options = options if isinstance(options, dict) else {}
    upstream_body = {
        **body,
        "model": admission.model,
        "stream_options": {**options, "include_usage": True},
    }
    url, headers = upstream_request(admission.proxy, upstream_body)
    upstream = runtime.http.build_request(
        "POST", url, content=orjson.dumps(upstream_body), headers=headers
    )
    try:
        answer = await runtime.http.send(upstream, stream=True)
    except httpx.HTTPError as error:
        return _upstream_failure(state, call, error)
    call.status = answer.status_code
    if answer.status_code != 200:
        try:
            content = await answer.aread()
        finally:
            await answer.aclose()
        call.error = content[:500].decode(errors="replace")
        call.finish()
        return Response(
            content,
            answer.status_code,
            headers=admission.headers(),
            media_type=answer.headers.get("content-type", JSON),
            background=BackgroundTask(_record, state, call),
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
            call.finish()

    return StreamingResponse(
        relay(),
        200,
        headers={**admission.headers(), "cache-control": "no-cache"},
        media_type="text/event-stream",
        background=BackgroundTask(_record, state, call),
    )
