"""Subscription delivery: many graphql-transport-ws listeners on one topic.

Starts real server processes on loopback (SQLite; Redis between two processes), opens
N listeners subscribed to the same `organizationEvents`, triggers M events with a real
mutation (`createTeam`) and measures, per (event, listener), receive time minus the
event's `occurredAt` (one machine, one clock). Also the server's RSS per idle listener.

Baseline, measured in the same run: the same scenario with fan-out off
(ATRIUM_WS_FANOUT=false: every subscriber executes the selection itself).

    python -m bench.bench_subscriptions [--listeners 1000] [--events 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import websockets

ROOT = Path(__file__).resolve().parents[1]
# As `atrium serve` runs uvicorn (ATRIUM_WS_COMPRESSION=false); override to compare.
WS_OPTIONS = os.environ.get("BENCH_WS_OPTIONS", "--ws-per-message-deflate false").split()
BASELINE_LISTENERS = 200
SUBSCRIPTION = """subscription S($o: ID!) {
  organizationEvents(organizationId: $o) { type sequence occurredAt team { name } }
}"""
CREATE_TEAM = """mutation T($o: ID!, $n: String!) {
  createTeam(input: {organizationId: $o, name: $n}) { userErrors { code } } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextlib.asynccontextmanager
async def _server(env: dict[str, str]) -> AsyncIterator[tuple[str, int]]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "atrium.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *WS_OPTIONS,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=base) as http:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/health/ready")).status_code == 200:
                        break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("server did not start")
                await asyncio.sleep(0.05)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


class Listener:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.received = 0
        self.ws: Any = None

    async def connect(self, base: str, key: str, organization_id: str) -> None:
        self.ws = await websockets.connect(
            base.replace("http", "ws") + "/graphql",
            subprotocols=["graphql-transport-ws"],
            max_queue=None,
            ping_interval=None,
        )
        await self.ws.send(
            orjson.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
            ).decode()
        )
        assert orjson.loads(await self.ws.recv())["type"] == "connection_ack"
        await self.ws.send(
            orjson.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": {"o": organization_id}},
                }
            ).decode()
        )

    async def listen(self) -> None:
        async for raw in self.ws:
            now = time.time()
            message = orjson.loads(raw)
            if message.get("type") != "next":
                continue
            event = message["payload"]["data"]["organizationEvents"]
            occurred = datetime.fromisoformat(event["occurredAt"]).timestamp()
            self.received += 1
            if event["team"] and event["team"]["name"].startswith("measure"):
                self.latencies.append((now - occurred) * 1000)


async def _graphql(base: str, key: str, query: str, variables: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        body = (
            await http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {key}"},
            )
        ).json()
    assert "errors" not in body, body
    return body["data"]


async def _scenario(
    name: str, env: dict[str, str], listeners: int, events: int, processes: int, key: str, org: str
) -> dict[str, Any]:
    async with contextlib.AsyncExitStack() as stack:
        servers = [await stack.enter_async_context(_server(env)) for _ in range(processes)]
        await asyncio.sleep(0.5)
        rss_before = [_rss_kb(pid) for _, pid in servers]
        clients = [Listener() for _ in range(listeners)]
        for index, client in enumerate(clients):
            await client.connect(servers[index % processes][0], key, org)
        tasks = [asyncio.create_task(c.listen()) for c in clients]
        # Warm up until every listener is live (Redis pub/sub and the hub need a moment):
        # one probe event at a time, waiting for it to drain before sending another.
        deadline = time.monotonic() + 120
        n = 0
        while min(c.received for c in clients) == 0:
            n += 1
            await _graphql(servers[0][0], key, CREATE_TEAM, {"o": org, "n": f"warm {name} {n}"})
            drain = time.monotonic() + 15
            while min(c.received for c in clients) == 0 and time.monotonic() < drain:
                await asyncio.sleep(0.05)
            if time.monotonic() > deadline:
                silent = [c for c in clients if c.received == 0]
                closes = {str(getattr(c.ws, "close_code", None)) for c in silent}
                raise RuntimeError(
                    f"{len(silent)} of {len(clients)} listeners never received; close codes {closes}"
                )
        await asyncio.sleep(0.5)
        rss_idle = [_rss_kb(pid) for _, pid in servers]
        for n in range(events):
            await _graphql(servers[0][0], key, CREATE_TEAM, {"o": org, "n": f"measure {name} {n}"})
            await asyncio.sleep(0.05)
        deadline = time.monotonic() + 180
        while min(len(c.latencies) for c in clients) < events and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        for client in clients:
            await client.ws.close()
    latencies = sorted(x for c in clients for x in c.latencies)
    delivered = len(latencies) / (listeners * events)
    per_listener_kb = (sum(rss_idle) - sum(rss_before)) / listeners
    return {
        "scenario": name,
        "listeners": listeners,
        "events": events,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "kb": per_listener_kb,
        "delivered": delivered,
    }


async def run(listeners: int, events: int) -> list[dict[str, Any]]:
    from atrium.core.config import Settings
    from atrium.core.migrate import upgrade
    from atrium.demo import bootstrap

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, listeners * 3 + 256)), hard))
    directory = Path(tempfile.mkdtemp(prefix="atrium-bench-"))
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    await asyncio.to_thread(upgrade, url)
    key = await bootstrap(
        Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024),
        email="bench@example.test",
        org_name="Bench",
    )
    env = {
        "ATRIUM_DATABASE_URL": url,
        "ATRIUM_LOG_LEVEL": "WARNING",
        "ATRIUM_RATE_LIMIT_ULTIMATE_PER_HOUR": "100000000",
        "ATRIUM_RATE_LIMIT_FREE_PER_HOUR": "100000000",
        "ATRIUM_WS_MAX_SUBSCRIPTIONS": "10",
        "ATRIUM_SECRET_KEY": "benchmark-secret-that-is-long-enough-0123456",
    }
    org = await _graphql_local(url, key)
    results = [await _scenario("1 process, fan-out", env, listeners, events, 1, key, org)]
    # The baseline runs a selection (and a database read) per subscriber per event: on
    # SQLite it cannot serve 1,000 listeners at all (lock timeouts), so it gets at most
    # 200 listeners and 3 events, and the ratios compare fan-out at that same size.
    small, few = min(listeners, BASELINE_LISTENERS), min(events, 3)
    no_fanout = {**env, "ATRIUM_WS_FANOUT": "false"}
    results.append(
        await _scenario("1 process, no fan-out (baseline)", no_fanout, small, few, 1, key, org)
    )
    if small != listeners:
        results.append(
            await _scenario("1 process, fan-out (baseline size)", env, small, few, 1, key, org)
        )
    redis = shutil.which("redis-server")
    if redis:
        port = _free_port()
        server = subprocess.Popen(
            [redis, "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        try:
            await asyncio.sleep(0.5)
            redis_env = {**env, "ATRIUM_BROADCAST_URL": f"redis://127.0.0.1:{port}/0"}
            results.append(
                await _scenario(
                    "2 processes + Redis, fan-out", redis_env, listeners, events, 2, key, org
                )
            )
        finally:
            server.kill()
    shutil.rmtree(directory, ignore_errors=True)
    return results


async def _graphql_local(url: str, key: str) -> str:
    from atrium.app import create_app
    from atrium.core.config import Settings

    app = create_app(Settings(database_url=url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        body = (
            await http.post(
                "/graphql",
                json={"query": "{ viewer { organizations { nodes { id } } } }"},
                headers={"Authorization": f"Bearer {key}"},
            )
        ).json()
    await app.state.atrium.services.close()
    return str(body["data"]["viewer"]["organizations"]["nodes"][0]["id"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listeners", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10)
    args = parser.parse_args(argv if argv is not None else [])
    results = asyncio.run(run(args.listeners, args.events))
    print(
        f"{'scenario':36} {'listeners':>9} {'events':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'KB/idle':>8} {'delivered':>9}"
    )
    for r in results:
        print(
            f"{r['scenario']:36} {r['listeners']:>9} {r['events']:>6} {r['p50']:>8.1f} "
            f"{r['p99']:>8.1f} {r['kb']:>8.1f} {r['delivered']:>9.1%}"
        )
    main_run, baseline = results[0], results[1]
    same_size = next(
        r
        for r in results
        if "no fan-out" not in r["scenario"] and r["listeners"] == baseline["listeners"]
    )
    print(f"at {baseline['listeners']} listeners, fan-out over no fan-out:")
    print(f"  ratio p50: {same_size['p50'] / baseline['p50']:.4f}")
    print(f"  ratio p99: {same_size['p99'] / baseline['p99']:.4f}")
    print(f"goal p99 <= 50 ms on one process: {'met' if main_run['p99'] <= 50 else 'NOT met'}")
    two = [r for r in results if r["scenario"].startswith("2 processes")]
    if two:
        print(f"goal p99 <= 100 ms across two: {'met' if two[0]['p99'] <= 100 else 'NOT met'}")
    print(f"goal <= 50 KB per idle listener: {'met' if main_run['kb'] <= 50 else 'NOT met'}")


if __name__ == "__main__":
    main(sys.argv[1:])
