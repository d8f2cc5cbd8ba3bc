"""LLM proxy overhead: what `/llm/{proxyId}/v1/chat/completions` adds per call.

Two server processes (uvicorn, as `atrium serve` runs): a minimal OpenAI-compatible
upstream (a raw ASGI app answering a fixed completion with `usage`, or the same as a
stream of server-sent events), and Atrium on a temporary SQLite database with one
LLM_PROXY agent pointing at that upstream and one virtual key. The client (httpx,
keep-alive, one call at a time) alternates a direct call to the upstream and the same
call through the proxy, so both see the same machine state; the added latency is the
per-pair difference (proxied - direct), reported at the median and p99, with the ratio
of the medians. Each call is recorded as in production: counted in memory at once and
written by the recorder a few milliseconds later, in the same server process, while
the next calls run. `--limit` adds an organization usage limit, so each call is also
checked against it (from the process's ledger, which reads the counter again once a
second) and bumps its counter when written.

    python -m bench.bench_llm_proxy [--calls 400] [--warmup 50] [--stream] [--limit]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
_COMPLETION = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-4o-mini",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
}
_BODY = json.dumps(_COMPLETION).encode()
_CHUNKS = [
    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
    {"choices": [{"index": 0, "delta": {"content": "o"}}]},
    {"choices": [{"index": 0, "delta": {"content": "k"}, "finish_reason": "stop"}]},
    {"choices": [], "usage": _COMPLETION["usage"]},
]
_STREAM = [
    b"data: " + json.dumps({"id": "c", "model": "gpt-4o-mini", **c}).encode() + b"\n\n"
    for c in _CHUNKS
] + [b"data: [DONE]\n\n"]


async def upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The fake upstream: as little work as an ASGI app can do."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if b'"stream": true' in body or b'"stream":true' in body:
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for chunk in _STREAM:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(_BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _BODY})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def _server(app: str, env: dict[str, str], factory: bool) -> AsyncIterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, *(["--factory"] if factory else []),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, **env},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=url) as http:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    await http.get("/health")
                    break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"server {app} did not start")
                await asyncio.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


async def _graphql(http: httpx.AsyncClient, query: str, variables: dict[str, Any],
                   token: str | None = None) -> dict[str, Any]:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers=headers)  # fmt: skip
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


async def _setup(http: httpx.AsyncClient, upstream_url: str, limit: bool) -> tuple[str, str]:
    """A user, an organization, a proxy on the upstream and a virtual key."""
    data = await _graphql(
        http,
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        {"i": {"email": "bench@example.test", "password": "correct-horse-battery",
               "name": "Bench"}},
    )  # fmt: skip
    token = data["register"]["accessToken"]
    data = await _graphql(
        http,
        "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) "
        "{ organization { id } } }",
        {"i": {"name": "Bench"}},
        token,
    )
    org = data["createOrganization"]["organization"]["id"]
    data = await _graphql(
        http,
        "mutation($i: CreateAgentInput!) { createAgent(input: $i) { agent { id } } }",
        {"i": {"organizationId": org, "name": "proxy", "type": "LLM_PROXY",
               "model": "gpt-4o-mini", "providerBaseUrl": f"{upstream_url}/v1"}},
        token,
    )  # fmt: skip
    proxy = data["createAgent"]["agent"]["id"]
    data = await _graphql(
        http,
        "mutation($i: CreateLlmVirtualKeyInput!) { createLlmVirtualKey(input: $i) { secret } }",
        {"i": {"proxyId": proxy, "name": "bench"}},
        token,
    )
    if limit:
        await _graphql(
            http,
            "mutation($i: CreateUsageLimitInput!) { createUsageLimit(input: $i) "
            "{ usageLimit { id } } }",
            {"i": {"organizationId": org, "name": "bench", "limitValue": 1e9,
                   "interval": "CALENDAR_MONTH"}},
            token,
        )  # fmt: skip
    return proxy, data["createLlmVirtualKey"]["secret"]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(url: str, calls: int, warmup: int, stream: bool, limit: bool) -> dict[str, float]:
    if True:
        env = {
            "ATRIUM_DATABASE_URL": url,
            "ATRIUM_SECRET_KEY": SECRET,
            "ATRIUM_LOG_LEVEL": "WARNING",
            "ATRIUM_ARGON2_TIME_COST": "1",
            "ATRIUM_ARGON2_MEMORY_KIB": "1024",
        }
        async with (
            _server("bench.bench_llm_proxy:upstream", {}, factory=False) as upstream_url,
            _server("atrium.app:create_app", env, factory=True) as atrium_url,
            httpx.AsyncClient(base_url=atrium_url, timeout=30) as http,
        ):
            proxy, key = await _setup(http, upstream_url, limit)
            body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
            if stream:
                body["stream"] = True
            payload = json.dumps(body).encode()
            headers = {"content-type": "application/json", "authorization": f"Bearer {key}"}
            direct_url = f"{upstream_url}/v1/chat/completions"
            proxied_url = f"{atrium_url}/llm/{proxy}/v1/chat/completions"

            async def timed(target: str) -> float:
                start = time.perf_counter()
                response = await http.post(target, content=payload, headers=headers)
                assert response.status_code == 200, response.text
                assert b"ok" in response.content or b'"k"' in response.content
                return time.perf_counter() - start

            direct: list[float] = []
            proxied: list[float] = []
            for index in range(warmup + calls):
                d = await timed(direct_url)
                p = await timed(proxied_url)
                if index >= warmup:
                    direct.append(d)
                    proxied.append(p)
            added = [p - d for p, d in zip(proxied, direct, strict=True)]
    ms = 1000.0
    return {
        "direct_median_ms": statistics.median(direct) * ms,
        "proxied_median_ms": statistics.median(proxied) * ms,
        "added_median_ms": statistics.median(added) * ms,
        "added_p99_ms": _pct(added, 0.99) * ms,
        "ratio": statistics.median(proxied) / statistics.median(direct),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="measured call pairs")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured pairs first")
    parser.add_argument("--stream", action="store_true", help="streamed answers (SSE)")
    parser.add_argument("--limit", action="store_true", help="with an organization limit")
    args = parser.parse_args(argv)
    from atrium.core.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="atrium-bench-llm-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        upgrade(url)  # before the event loop: Alembic's env runs its own
        result = asyncio.run(run(url, args.calls, args.warmup, args.stream, args.limit))
    mode = ("stream" if args.stream else "whole") + (", with a limit" if args.limit else "")
    print(f"LLM proxy overhead ({mode}; {args.calls} call pairs, sequential, loopback)")
    print(f"  direct to upstream   median {result['direct_median_ms']:.3f} ms")
    print(f"  through the proxy    median {result['proxied_median_ms']:.3f} ms")
    print(
        f"  added by the proxy   median {result['added_median_ms']:.3f} ms, "
        f"p99 {result['added_p99_ms']:.3f} ms (goal: < 2 ms at the median)"
    )
    print(f"  ratio proxied/direct {result['ratio']:.2f}x")


if __name__ == "__main__":
    main()
