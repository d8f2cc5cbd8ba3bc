"""Subscription delivery: many graphql-transport-ws listeners on one topic.

Starts real server processes on loopback (SQLite; Redis between two processes), opens
N listeners subscribed to the same `organizationEvents`, triggers M events with a real
mutation (`createTeam`) and measures, per (event, listener), receive time minus the
event's `occurredAt` (one machine, one clock). Also the server's RSS per idle listener.

What is measured is the server, not the client. The listeners live in
``--client-processes`` processes of their own (2 by default). The default client
(``--client raw``) is a plain-socket WebSocket reader with no event loop; per read it
keeps two times: the kernel's receive timestamp (``SO_TIMESTAMPNS``: when the frame
reached the listener's socket, however late the client process gets to run) and
``time.time()`` when the process read it. Both are reported: "socket" is the server's
delivery, "process" adds the client's own scheduling and work. The raw client reads in
rounds every ``--read-every`` ms (5 by default; 0 reads as soon as data arrives), so
that on a small machine its wake-ups do not keep preempting the server it measures.
``--client websockets --client-processes 1`` is the earlier client (the `websockets`
library, each frame decoded on arrival, all listeners in one process), to compare.

Baseline, measured in the same run: the same scenario with fan-out off
(ATRIUM_WS_FANOUT=false: every subscriber executes the selection itself).

    python -m bench.bench_subscriptions [--listeners 1000] [--events 10]
        [--client raw|websockets] [--client-processes 2] [--read-every 5]
        [--skip baseline] [--skip redis]

``BENCH_SERVER_PREFIX`` goes between the interpreter and ``-m uvicorn``, e.g. to profile
the server: ``BENCH_SERVER_PREFIX="-m pyinstrument -r pyisession -o /tmp/server"``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import multiprocessing
import os
import resource
import selectors
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import orjson
import websockets

ROOT = Path(__file__).resolve().parents[1]
# As `atrium serve` runs uvicorn (ATRIUM_WS_COMPRESSION=false); override to compare.
WS_OPTIONS = os.environ.get("BENCH_WS_OPTIONS", "--ws-per-message-deflate false").split()
SERVER_PREFIX = os.environ.get("BENCH_SERVER_PREFIX", "").split()
BASELINE_LISTENERS = 200
SUBSCRIPTION = """subscription S($o: ID!) {
  organizationEvents(organizationId: $o) { type sequence occurredAt team { name } }
}"""
CREATE_TEAM = """mutation T($o: ID!, $n: String!) {
  createTeam(input: {organizationId: $o, name: $n}) { userErrors { code } } }"""
MEASURED = b'"name":"measure'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _steal_ms() -> float:
    """CPU time the hypervisor gave to others (all CPUs), so far; noise in a VM."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return int(fields[8]) * 1000 / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


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
            *SERVER_PREFIX,
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
        process.send_signal(2 if SERVER_PREFIX else 15)  # SIGINT lets a profiler report
        try:
            process.wait(60 if SERVER_PREFIX else 10)
        except subprocess.TimeoutExpired:
            process.kill()


def _init_message(key: str) -> bytes:
    return orjson.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}})


def _subscribe_message(organization_id: str) -> bytes:
    return orjson.dumps(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": SUBSCRIPTION, "variables": {"o": organization_id}},
        }
    )


def _latency_ms(received_at: float, frame: bytes | str) -> float | None:
    """Receive time minus the event's `occurredAt`, for a `next` frame of a measured event."""
    message = orjson.loads(frame)
    if message.get("type") != "next":
        return None
    event = message["payload"]["data"]["organizationEvents"]
    if not (event["team"] and event["team"]["name"].startswith("measure")):
        return None
    return (received_at - datetime.fromisoformat(event["occurredAt"]).timestamp()) * 1000


# Linux: a receive timestamp per read, taken by the kernel when the data reached the socket.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def _client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client-to-server frame (RFC 6455 requires clients to mask)."""
    mask, n = os.urandom(4), len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 1 << 16:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    keystream = (mask * (n // 4 + 1))[:n]
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")
    return head + mask + masked.to_bytes(n, "big")


def _parse_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Take the complete (unmasked, unfragmented) server frames off the front of ``buffer``."""
    frames: list[tuple[int, bytes]] = []
    position, size = 0, len(buffer)
    while size - position >= 2:
        length, start = buffer[position + 1] & 0x7F, position + 2
        if length == 126:
            if size - position < 4:
                break
            length, start = int.from_bytes(buffer[start : start + 2], "big"), start + 2
        elif length == 127:
            if size - position < 10:
                break
            length, start = int.from_bytes(buffer[start : start + 8], "big"), start + 8
        if size - start < length:
            break
        frames.append((buffer[position] & 0x0F, bytes(buffer[start : start + length])))
        position = start + length
    del buffer[:position]
    return frames


class RawListener:
    """The cheapest client that still speaks WebSocket, on a plain non-blocking socket.

    Per read it keeps the kernel's receive timestamp (when the frame reached the socket,
    whenever this process gets to run) and ``time.time()`` (when this process read it);
    frames stay bytes until the run is over.
    """

    def __init__(self, base: str, key: str, organization_id: str) -> None:
        url = urlparse(base)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=30)
        self.buffer = bytearray()
        self.frames: list[tuple[float, float, bytes]] = []
        self.received = 0
        self.measured = 0
        self.close_code: int | None = None
        nonce = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /graphql HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
            ).encode()
        )
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head.decode(errors="replace"))
        self.buffer[:] = rest
        self.sock.sendall(_client_frame(0x1, _init_message(key)))
        while not any(b'"connection_ack"' in frame for _, frame in self._frames()):
            self.buffer += self._recv()
        self.sock.sendall(_client_frame(0x1, _subscribe_message(organization_id)))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setblocking(False)

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed {self.close_code}")
        return chunk

    def _frames(self) -> list[tuple[int, bytes]]:
        frames = _parse_frames(self.buffer)
        for opcode, frame in frames:
            if opcode == 0x8:
                self.close_code = int.from_bytes(frame[:2], "big") if len(frame) >= 2 else 1005
            elif opcode == 0x9:  # ping: pong, or uvicorn drops the connection
                self.sock.sendall(_client_frame(0xA, frame))
        return frames

    def read(self) -> bool:
        """Read what is there; False once the connection is closed."""
        try:
            data, ancillary, _, _ = self.sock.recvmsg(65536, 64)
        except BlockingIOError:
            return True
        read_at = time.time()
        if not data:
            self.close_code = self.close_code or 1006
            return False
        arrived_at = read_at
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", value[:16])
                arrived_at = seconds + nanoseconds / 1e9
        self.buffer += data
        for opcode, frame in self._frames():
            if opcode == 0x1:
                self.frames.append((arrived_at, read_at, frame))
                self.received += 1
                self.measured += MEASURED in frame
        return True

    def latencies(self) -> list[tuple[float, float]]:
        """(at the socket, in the process) for each measured event, in ms."""
        pairs = []
        for arrived_at, read_at, frame in self.frames:
            if (latency := _latency_ms(read_at, frame)) is not None:
                pairs.append((latency - (read_at - arrived_at) * 1000, latency))
        return pairs


def _raw_client(
    pipe: Any, bases: list[str], key: str, org: str, counts: Any, slot: int, stop: Any, pause: float
) -> tuple[list[tuple[float | None, float]], list[str]]:
    """All of one process's raw listeners: one selector, no event loop. With ``pause``,
    sleep that long between rounds of reads, so that the server's sends do not keep
    waking this process (the kernel timestamps stay exact)."""
    listeners = [RawListener(base, key, org) for base in bases]
    pipe.send(("connected", None))
    selector = selectors.DefaultSelector()
    for listener in listeners:
        selector.register(listener.sock, selectors.EVENT_READ, listener)
    reported = 0.0
    while not stop.is_set():
        for handle, _ in selector.select(0.05):
            if not handle.data.read():
                selector.unregister(handle.fileobj)
        if (now := time.monotonic()) - reported > 0.02:
            reported = now
            counts[2 * slot] = min(x.received for x in listeners)
            counts[2 * slot + 1] = min(x.measured for x in listeners)
        if pause:
            time.sleep(pause)
    for listener in listeners:
        listener.sock.close()
    silent = [str(x.close_code) for x in listeners if x.received == 0]
    return [pair for x in listeners for pair in x.latencies()], silent


class WebsocketsListener:
    """The earlier client: the `websockets` library, each frame decoded on arrival."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.received = 0
        self.ws: Any = None
        self.task: asyncio.Task[None] | None = None

    @property
    def measured(self) -> int:
        return len(self.values)

    @property
    def close_code(self) -> int | None:
        return getattr(self.ws, "close_code", None)

    async def connect(self, base: str, key: str, organization_id: str) -> None:
        self.ws = await websockets.connect(
            base.replace("http", "ws") + "/graphql",
            subprotocols=["graphql-transport-ws"],
            max_queue=None,
            ping_interval=None,
        )
        await self.ws.send(_init_message(key).decode())
        assert orjson.loads(await self.ws.recv())["type"] == "connection_ack"
        await self.ws.send(_subscribe_message(organization_id).decode())
        self.task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        async for raw in self.ws:
            now = time.time()
            if orjson.loads(raw).get("type") != "next":
                continue
            self.received += 1
            if (latency := _latency_ms(now, raw)) is not None:
                self.values.append(latency)

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        await self.ws.close()


async def _websockets_client(
    pipe: Any, bases: list[str], key: str, org: str, counts: Any, slot: int, stop: Any
) -> tuple[list[tuple[float | None, float]], list[str]]:
    listeners = []
    for base in bases:
        listener = WebsocketsListener()
        await listener.connect(base, key, org)
        listeners.append(listener)
    pipe.send(("connected", None))
    while not stop.is_set():
        counts[2 * slot] = min(x.received for x in listeners)
        counts[2 * slot + 1] = min(x.measured for x in listeners)
        await asyncio.sleep(0.02)
    for listener in listeners:
        await listener.close()
    silent = [str(x.close_code) for x in listeners if x.received == 0]
    return [(None, v) for x in listeners for v in x.values], silent


def _client_process(
    pipe: Any,
    client: tuple[str, int, float],
    bases: list[str],
    key: str,
    org: str,
    counts: Any,
    slot: int,
    stop: Any,
) -> None:
    """One client process: connect its listeners, report progress in ``counts``, and send
    the latencies back once ``stop`` is set."""
    kind, _, pause = client
    try:
        if kind == "raw":
            result = _raw_client(pipe, bases, key, org, counts, slot, stop, pause)
        else:
            with contextlib.suppress(ImportError):
                import uvloop

                uvloop.install()
            result = asyncio.run(_websockets_client(pipe, bases, key, org, counts, slot, stop))
        pipe.send(("done", result))
    except BaseException:
        pipe.send(("error", traceback.format_exc()))


class Clients:
    """Listeners spread over client processes; listener i connects to ``bases[i % len]``."""

    def __init__(self, client: tuple[str, int, float]) -> None:
        self.client = client
        self.processes = client[1]
        self.context = multiprocessing.get_context("spawn")
        self.counts: Any = self.context.Array("q", 2 * self.processes, lock=False)
        self.stop = self.context.Event()
        self.workers: list[tuple[Any, Any]] = []

    async def start(self, listeners: int, bases: list[str], key: str, org: str) -> None:
        for slot in range(self.processes):
            mine = [bases[i % len(bases)] for i in range(slot, listeners, self.processes)]
            parent, child = self.context.Pipe()
            process = self.context.Process(
                target=_client_process,
                args=(child, self.client, mine, key, org, self.counts, slot, self.stop),
                daemon=True,
            )
            process.start()
            child.close()
            self.workers.append((process, parent))
        for _, pipe in self.workers:
            await self._expect(pipe, "connected")

    @staticmethod
    async def _expect(pipe: Any, status: str) -> Any:
        kind, value = await asyncio.to_thread(pipe.recv)
        if kind != status:
            raise RuntimeError(f"client process failed:\n{value}")
        return value

    def min_received(self) -> int:
        return min(self.counts[2 * slot] for slot in range(self.processes))

    def min_measured(self) -> int:
        return min(self.counts[2 * slot + 1] for slot in range(self.processes))

    async def finish(self) -> tuple[list[tuple[float | None, float]], list[str]]:
        self.stop.set()
        latencies: list[tuple[float | None, float]] = []
        silent: list[str] = []
        for process, pipe in self.workers:
            values, codes = await self._expect(pipe, "done")
            latencies.extend(values)
            silent.extend(codes)
            await asyncio.to_thread(process.join, 30)
        return latencies, silent

    def kill(self) -> None:
        for process, _ in self.workers:
            if process.is_alive():
                process.kill()


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
    name: str,
    env: dict[str, str],
    listeners: int,
    events: int,
    processes: int,
    key: str,
    org: str,
    client: tuple[str, int, float],
) -> dict[str, Any]:
    clients = Clients(client)
    try:
        async with contextlib.AsyncExitStack() as stack:
            servers = [await stack.enter_async_context(_server(env)) for _ in range(processes)]
            await asyncio.sleep(0.5)
            rss_before = [_rss_kb(pid) for _, pid in servers]
            await clients.start(listeners, [base for base, _ in servers], key, org)
            # Warm up until every listener is live (Redis pub/sub and the hub need a moment):
            # one probe event at a time, waiting for it to drain before sending another.
            deadline = time.monotonic() + 120
            n = 0
            while clients.min_received() == 0:
                n += 1
                await _graphql(servers[0][0], key, CREATE_TEAM, {"o": org, "n": f"warm {name} {n}"})
                drain = time.monotonic() + 15
                while clients.min_received() == 0 and time.monotonic() < drain:
                    await asyncio.sleep(0.05)
                if time.monotonic() > deadline:
                    _, silent = await clients.finish()
                    raise RuntimeError(
                        f"{len(silent)} of {listeners} listeners never received; "
                        f"close codes {set(silent)}"
                    )
            await asyncio.sleep(0.5)
            rss_idle = [_rss_kb(pid) for _, pid in servers]
            cpu_before, steal_before = sum(_cpu_ms(pid) for _, pid in servers), _steal_ms()
            for n in range(events):
                variables = {"o": org, "n": f"measure {name} {n}"}
                await _graphql(servers[0][0], key, CREATE_TEAM, variables)
                await asyncio.sleep(0.05)
            deadline = time.monotonic() + 180
            while clients.min_measured() < events and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            cpu = sum(_cpu_ms(pid) for _, pid in servers) - cpu_before
            steal = _steal_ms() - steal_before
            pairs, _ = await clients.finish()
    finally:
        clients.kill()
    at_socket = [x for x, _ in pairs if x is not None]
    in_process = [x for _, x in pairs]
    return {
        "scenario": name,
        "listeners": listeners,
        "events": events,
        "socket": _stats(at_socket) if at_socket else None,
        "process": _stats(in_process),
        "kb": (sum(rss_idle) - sum(rss_before)) / listeners,
        "delivered": len(pairs) / (listeners * events),
        "cpu": cpu / events,
        "steal": steal,
    }


def _stats(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "p50": statistics.median(values),
        "p99": values[min(len(values) - 1, int(len(values) * 0.99))],
        "max": values[-1],
    }


async def run(
    listeners: int, events: int, client: tuple[str, int, float], skip: set[str] | None = None
) -> list[dict[str, Any]]:
    skip = skip or set()
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

    async def scenario(
        name: str, env: dict[str, str], listeners: int, events: int, processes: int
    ) -> dict[str, Any]:
        return await _scenario(name, env, listeners, events, processes, key, org, client)

    results = [await scenario("1 process, fan-out", env, listeners, events, 1)]
    if "baseline" not in skip:
        # The baseline runs a selection (and a database read) per subscriber per event: on
        # SQLite it cannot serve 1,000 listeners at all (lock timeouts), so it gets at most
        # 200 listeners and 3 events, and the ratios compare fan-out at that same size.
        small, few = min(listeners, BASELINE_LISTENERS), min(events, 3)
        no_fanout = {**env, "ATRIUM_WS_FANOUT": "false"}
        results.append(await scenario("1 process, no fan-out (baseline)", no_fanout, small, few, 1))
        if small != listeners:
            results.append(await scenario("1 process, fan-out (baseline size)", env, small, few, 1))
    redis = shutil.which("redis-server")
    if redis and "redis" not in skip:
        port = _free_port()
        server = subprocess.Popen(
            [redis, "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        try:
            await asyncio.sleep(0.5)
            redis_env = {**env, "ATRIUM_BROADCAST_URL": f"redis://127.0.0.1:{port}/0"}
            results.append(
                await scenario("2 processes + Redis, fan-out", redis_env, listeners, events, 2)
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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listeners", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument(
        "--client",
        choices=("raw", "websockets"),
        default="raw",
        help="raw: plain sockets, kernel receive timestamps (default); websockets: the "
        "library, each frame decoded on arrival (the earlier client)",
    )
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes the listeners are spread over"
    )
    parser.add_argument(
        "--read-every",
        type=float,
        default=5.0,
        metavar="MS",
        help="raw client: pause between rounds of reads (0: read as soon as data arrives)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        choices=("baseline", "redis"),
        default=[],
        help="leave out the no-fan-out baseline (then no ratios) or the two-process run",
    )
    args = parser.parse_args(argv if argv is not None else [])
    client = (args.client, max(1, args.client_processes), max(0.0, args.read_every) / 1000)
    results = asyncio.run(run(args.listeners, args.events, client, set(args.skip)))
    reads = f", reads every {args.read_every:g} ms" if args.client == "raw" else ""
    print(f"client: {client[0]}, listeners spread over {client[1]} process(es){reads}")
    print(
        "latency = receive time - the event's occurredAt; 'socket': when the frame reached "
        "the listener's socket (kernel timestamp: the server's delivery), 'process': when "
        "the client process read it (adds the client's own delays)"
    )
    print(
        "ms; 'CPU/event': the server processes' CPU time per event (mutation, execution and "
        "fan-out); 'steal': CPU time the VM lost to its host meanwhile (noise)"
    )
    print(
        f"{'scenario':36} {'listeners':>9} {'events':>6} {'socket p50':>10} {'p99':>6} "
        f"{'max':>6} {'process p50':>11} {'p99':>6} {'max':>6} {'CPU/event':>9} {'steal':>6} "
        f"{'KB/idle':>8} {'delivered':>9}"
    )
    for r in results:
        at_socket = (
            f"{r['socket']['p50']:>10.1f} {r['socket']['p99']:>6.1f} {r['socket']['max']:>6.1f}"
            if r["socket"]
            else f"{'-':>10} {'-':>6} {'-':>6}"
        )
        print(
            f"{r['scenario']:36} {r['listeners']:>9} {r['events']:>6} {at_socket} "
            f"{r['process']['p50']:>11.1f} {r['process']['p99']:>6.1f} "
            f"{r['process']['max']:>6.1f} {r['cpu']:>9.1f} {r['steal']:>6.0f} "
            f"{r['kb']:>8.1f} {r['delivered']:>9.1%}"
        )

    def latency(r: dict[str, Any]) -> dict[str, float]:
        return dict(r["socket"] or r["process"])

    measure = "at the socket" if results[0]["socket"] else "in the client process"
    main_run = results[0]
    baselines = [r for r in results if "no fan-out" in r["scenario"]]
    if baselines:
        baseline = baselines[0]
        same_size = next(
            r
            for r in results
            if "no fan-out" not in r["scenario"] and r["listeners"] == baseline["listeners"]
        )
        print(f"at {baseline['listeners']} listeners, fan-out over no fan-out ({measure}):")
        print(f"  ratio p50: {latency(same_size)['p50'] / latency(baseline)['p50']:.4f}")
        print(f"  ratio p99: {latency(same_size)['p99'] / latency(baseline)['p99']:.4f}")
    p99 = latency(main_run)["p99"]
    print(f"goal p99 <= 50 ms on one process ({measure}): {'met' if p99 <= 50 else 'NOT met'}")
    two = [r for r in results if r["scenario"].startswith("2 processes")]
    if two:
        p99 = latency(two[0])["p99"]
        print(f"goal p99 <= 100 ms across two ({measure}): {'met' if p99 <= 100 else 'NOT met'}")
    print(f"goal <= 50 KB per idle listener: {'met' if main_run['kb'] <= 50 else 'NOT met'}")


if __name__ == "__main__":
    main(sys.argv[1:])
