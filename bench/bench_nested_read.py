"""Nested read: Atrium's GraphQL against a hand-written endpoint doing the same reads.

Seeds a database (a SQLite file in a temporary directory, or a scratch database created
on the PostgreSQL server of ``--database-url`` and dropped afterwards): one
organization, users, an agent, 50 threads of the benchmark user x 20 messages, one in
four written by the agent (no ``author``), the others by the users. Then starts two
server processes on loopback, one each:

* Atrium (``uvicorn atrium.app:create_app --factory``), answering
  ``{ threads(first: 50) { nodes { id title messages(first: 20) { nodes { id content
  createdAt author { id name } } } } } }`` for an API key;
* the baseline, ``bench/nested_read_baseline.py``: a FastAPI route answering the same
  ``data`` (checked equal before measuring) from 3 SQLAlchemy Core statements.

and loads them alternately (``--rounds`` x ``--seconds`` each, ``--concurrency``
keep-alive connections from a plain-socket HTTP/1.1 client, so that the client costs
little of the machine's CPU) and reports requests/s, p50/p99 latency, server CPU per
request, SQL statements per request (counted in-process for one request through each
app, BEGIN/COMMIT not counted), each server's RSS once started (after its readiness
checks, before the first read: what importing and building the app cost) and its peak
RSS (VmHWM). The ratio is
Atrium's throughput over the baseline's; goal: ≥ 0.6x and < 150 MB peak for Atrium.

    python -m bench.bench_nested_read [--database-url postgresql+asyncpg://u:p@host/db]
        [--rounds 5] [--seconds 5] [--concurrency 8] [--threads 50] [--messages 20]

``BENCH_SERVER_PREFIX`` goes between the interpreter and ``-m uvicorn`` of the Atrium
server, e.g. to profile it: ``BENCH_SERVER_PREFIX="-m pyinstrument -o /tmp/nested.html
-r html"`` (the server is stopped with SIGINT then, so the profiler can report).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
SERVER_PREFIX = os.environ.get("BENCH_SERVER_PREFIX", "").split()
QUERY = (
    "{ threads(first: %d) { nodes { id title messages(first: %d) "
    "{ nodes { id content createdAt author { id name } } } } } }"
)
USERS = 10
AGENT_EVERY = 4  # every 4th message of a thread is the agent's reply
GOAL_RATIO = 0.6
GOAL_PEAK_MB = 150.0
SECRET = "benchmark-secret-that-is-long-enough-0123456"


@dataclass
class Seed:
    url: str
    key: str
    user_id: str
    organization_id: str


@dataclass
class Side:
    """One server under test and what was measured of it."""

    name: str
    request: bytes
    pid: int = 0
    port: int = 0
    statements: int = 0
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    cpu_ms: float = 0.0
    failures: int = 0
    per_round: list[float] = field(default_factory=list)
    ready_mb: float = 0.0
    peak_mb: float = 0.0


# ---------------------------------------------------------------- database and data


@contextlib.contextmanager
def _database(url: str | None) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a scratch PostgreSQL database."""
    from sqlalchemy.engine import make_url

    from atrium.core.migrate import upgrade

    if not url:
        directory = Path(tempfile.mkdtemp(prefix="atrium-bench-"))
        try:
            database = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
            upgrade(database)
            yield database
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    parsed = make_url(url)
    scratch = parsed.set(database=f"atrium_bench_{uuid.uuid4().hex[:8]}")
    asyncio.run(_admin(url, f'CREATE DATABASE "{scratch.database}"'))
    try:
        database = scratch.render_as_string(hide_password=False)
        upgrade(database)
        yield database
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(sql))
    await engine.dispose()


async def seed(url: str, threads: int, messages: int) -> Seed:
    """The organization (through ``bootstrap``, as `atrium bootstrap` makes it: owner and
    ADMIN key), then users, an agent, threads and messages as direct model inserts."""
    from sqlalchemy import select

    from atrium.core.config import Settings
    from atrium.core.db import Database
    from atrium.core.policy import Role
    from atrium.demo import bootstrap
    from atrium.models.agents import Agent
    from atrium.models.identity import Membership, User
    from atrium.models.threads import Message, MessageRole, Thread

    email = "bench@example.test"
    key = await bootstrap(
        Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024),
        email=email,
        org_name="Bench",
    )
    db = Database(url)
    try:
        async with db.sessionmaker() as session:
            owner = (await session.scalars(select(User).where(User.email == email))).one()
            org_id = (
                await session.scalars(
                    select(Membership.organization_id).where(Membership.user_id == owner.id)
                )
            ).one()
            people = [owner]
            for i in range(1, USERS):
                person = User(email=f"member{i}@example.test", name=f"Member {i}")
                session.add(person)
                people.append(person)
            await session.flush()
            for person in people[1:]:
                session.add(Membership(organization_id=org_id, user_id=person.id, role=Role.MEMBER))
            agent = Agent(organization_id=org_id, name="Bench agent", author_id=owner.id)
            session.add(agent)
            await session.flush()
            start = datetime.now(UTC) - timedelta(days=1)
            for t in range(threads):
                thread = Thread(
                    organization_id=org_id,
                    owner_user_id=owner.id,
                    title=f"Thread {t}: capacity plan for the checkout service",
                    agent_id=agent.id,
                    created_by_id=owner.id,
                )
                session.add(thread)
                await session.flush()
                for m in range(messages):
                    by_agent = m % AGENT_EVERY == AGENT_EVERY - 1
                    author = people[(t + m) % len(people)]
                    session.add(
                        Message(
                            organization_id=org_id,
                            thread_id=thread.id,
                            role=MessageRole.ASSISTANT if by_agent else MessageRole.USER,
                            content=f"Message {m} of thread {t}: how many replicas does the "
                            "checkout service need at 10,000 requests per second?",
                            parts=[],
                            author_user_id=None if by_agent else author.id,
                            author_agent_id=agent.id if by_agent else None,
                            created_at=start + timedelta(minutes=t * messages + m),
                        )
                    )
            await session.commit()
            return Seed(url, key, owner.id, org_id)
    finally:
        await db.dispose()


# ---------------------------------------------------------------- statements, in-process

_counter: ContextVar[list[str] | None] = ContextVar("bench_statements", default=None)


def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    statements = _counter.get()
    if statements is not None and not statement.lstrip().upper().startswith("BEGIN"):
        statements.append(statement)


async def _count(
    sync_engine: Any, request: Callable[[], Awaitable[httpx.Response]]
) -> tuple[int, Any]:
    """Statements the request runs (the second time: the first also warms caches)."""
    from sqlalchemy import event

    event.listen(sync_engine, "before_cursor_execute", _record)
    try:
        await request()
        statements: list[str] = []
        token = _counter.set(statements)
        try:
            response = await request()
        finally:
            _counter.reset(token)
    finally:
        event.remove(sync_engine, "before_cursor_execute", _record)
    if os.environ.get("BENCH_SHOW_SQL"):
        print("\n---\n".join(statements))
    response.raise_for_status()
    return len(statements), orjson.loads(response.content)


async def count_in_process(data: Seed, query: str, threads: int, messages: int) -> list[int]:
    """SQL statements per request of each app, and a check that both answer the same."""
    from atrium.app import create_app
    from atrium.core.config import Settings
    from bench import nested_read_baseline

    atrium_app = create_app(
        Settings(database_url=data.url, secret_key=SECRET, rate_limit_free_per_hour=10**9)
    )
    baseline_app = nested_read_baseline.create_app(
        data.url, data.key, data.user_id, data.organization_id
    )
    headers = {"Authorization": f"Bearer {data.key}"}
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(atrium_app), base_url="http://a") as a,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(baseline_app), base_url="http://b"
            ) as b,
        ):
            atrium_count, atrium_body = await _count(
                atrium_app.state.atrium.db.engine.sync_engine,
                lambda: a.post("/graphql", json={"query": query}, headers=headers),
            )
            baseline_count, baseline_body = await _count(
                baseline_app.state.engine.sync_engine,
                lambda: b.get(f"/threads?first={threads}&messages={messages}", headers=headers),
            )
    finally:
        await atrium_app.state.atrium.services.close()
        await baseline_app.state.engine.dispose()
    _check_same(atrium_body, baseline_body, threads, messages)
    return [atrium_count, baseline_count]


def _check_same(atrium: dict[str, Any], baseline: dict[str, Any], threads: int, n: int) -> None:
    if atrium.get("errors") or atrium.get("data") != baseline["data"]:
        raise RuntimeError(f"Atrium and the baseline answer differently: {str(atrium)[:500]}")
    nodes = atrium["data"]["threads"]["nodes"]
    if len(nodes) != threads or any(len(t["messages"]["nodes"]) != n for t in nodes):
        raise RuntimeError("the seeded data is not what the query pages over")


# ---------------------------------------------------------------- servers and load


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    return 0


@contextlib.asynccontextmanager
async def _server(
    app: str, env: dict[str, str], prefix: list[str]
) -> AsyncIterator[tuple[int, int]]:
    """One uvicorn process (uvloop and httptools, as installed), like `atrium serve`."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, *prefix, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, **env},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/health/ready")).status_code == 200:
                        break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"server {app} did not start")
                await asyncio.sleep(0.05)
        yield process.pid, port
    finally:
        process.send_signal(2 if prefix else 15)  # SIGINT lets a profiler report
        try:
            process.wait(60 if prefix else 10)
        except subprocess.TimeoutExpired:
            process.kill()


def _http_request(method: str, path: str, key: str, body: bytes = b"") -> bytes:
    head = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {key}",
        "Accept: application/json",
    ]
    if body:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _fetch(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """One request on a keep-alive connection (responses carry a Content-Length)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def _worker(port: int, request: bytes, until: float, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    failures = 0
    try:
        while (started := time.perf_counter()) < until:
            status, _ = await _fetch(reader, writer, request)
            latencies.append(time.perf_counter() - started)
            failures += status != 200
    finally:
        writer.close()
    return failures


async def load(side: Side, seconds: float, concurrency: int, *, record: bool = True) -> float:
    """``concurrency`` connections, each sending the next request once it has the answer."""
    latencies: list[float] = []
    cpu = _cpu_ms(side.pid)
    started = time.perf_counter()
    until = started + seconds
    failures = await asyncio.gather(
        *(_worker(side.port, side.request, until, latencies) for _ in range(concurrency))
    )
    elapsed = time.perf_counter() - started
    if record:
        side.latencies += latencies
        side.requests += len(latencies)
        side.seconds += elapsed
        side.cpu_ms += _cpu_ms(side.pid) - cpu
        side.failures += sum(failures)
        side.per_round.append(len(latencies) / elapsed)
    return len(latencies) / elapsed


async def _same_over_http(atrium: Side, baseline: Side, threads: int, messages: int) -> None:
    answers = []
    for side in (atrium, baseline):
        reader, writer = await asyncio.open_connection("127.0.0.1", side.port, limit=1 << 20)
        status, body = await _fetch(reader, writer, side.request)
        writer.close()
        if status != 200:
            raise RuntimeError(f"{side.name} answered {status}: {body[:300]!r}")
        answers.append(orjson.loads(body))
    _check_same(answers[0], answers[1], threads, messages)


async def run(args: argparse.Namespace, data: Seed) -> tuple[Side, Side]:
    query = QUERY % (args.threads, args.messages)
    atrium = Side(
        "Atrium GraphQL",
        _http_request("POST", "/graphql", data.key, orjson.dumps({"query": query})),
    )
    baseline = Side(
        "hand-written",
        _http_request("GET", f"/threads?first={args.threads}&messages={args.messages}", data.key),
    )
    atrium.statements, baseline.statements = await count_in_process(
        data, query, args.threads, args.messages
    )
    atrium_env = {
        "ATRIUM_DATABASE_URL": data.url,
        "ATRIUM_SECRET_KEY": SECRET,
        "ATRIUM_LOG_LEVEL": "WARNING",
        "ATRIUM_RATE_LIMIT_FREE_PER_HOUR": "1000000000",
        "ATRIUM_RATE_LIMIT_PRO_PER_HOUR": "1000000000",
        "ATRIUM_RATE_LIMIT_ULTIMATE_PER_HOUR": "1000000000",
    }
    baseline_env = {
        "BENCH_DATABASE_URL": data.url,
        "BENCH_TOKEN": data.key,
        "BENCH_USER_ID": data.user_id,
        "BENCH_ORGANIZATION_ID": data.organization_id,
    }
    async with (
        _server("atrium.app:create_app", atrium_env, SERVER_PREFIX) as (atrium.pid, atrium.port),
        _server("bench.nested_read_baseline:create_app", baseline_env, []) as (
            baseline.pid,
            baseline.port,
        ),
    ):
        for side in (atrium, baseline):
            side.ready_mb = _status_kb(side.pid, "VmRSS") / 1024
        await _same_over_http(atrium, baseline, args.threads, args.messages)
        for side in (baseline, atrium):
            await load(side, args.warmup, args.concurrency, record=False)
        for number in range(args.rounds):
            order = (baseline, atrium) if number % 2 == 0 else (atrium, baseline)
            for side in order:
                await load(side, args.seconds, args.concurrency)
            print(
                f"  round {number + 1}: hand-written {baseline.per_round[-1]:.1f} req/s, "
                f"Atrium {atrium.per_round[-1]:.1f} req/s, "
                f"ratio {atrium.per_round[-1] / baseline.per_round[-1]:.3f}",
                flush=True,
            )
        for side in (atrium, baseline):
            side.peak_mb = _status_kb(side.pid, "VmHWM") / 1024
    return atrium, baseline


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def report(atrium: Side, baseline: Side, args: argparse.Namespace, backend: str) -> None:
    print(
        f"{backend}; {args.threads} threads x {args.messages} messages, concurrency "
        f"{args.concurrency}, {args.rounds} rounds x {args.seconds:g} s per side, alternating"
    )
    print(
        f"{'server':16} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} "
        f"{'SQL/req':>7} {'ready MB':>8} {'peak MB':>7} {'failed':>6}"
    )
    for side in (baseline, atrium):
        print(
            f"{side.name:16} {side.requests / side.seconds:>7.1f} "
            f"{_percentile(side.latencies, 0.5):>7.1f} {_percentile(side.latencies, 0.99):>7.1f} "
            f"{side.cpu_ms / side.requests:>10.2f} {side.statements:>7} "
            f"{side.ready_mb:>8.1f} {side.peak_mb:>7.1f} {side.failures:>6}"
        )
    ratio = (atrium.requests / atrium.seconds) / (baseline.requests / baseline.seconds)
    rounds = [a / b for a, b in zip(atrium.per_round, baseline.per_round, strict=True)]
    print(
        f"ratio Atrium/hand-written throughput: {ratio:.3f} (per round: "
        f"{', '.join(f'{r:.3f}' for r in rounds)}; median {statistics.median(rounds):.3f})"
    )
    print(
        f"ratio p50 latency Atrium/hand-written: "
        f"{_percentile(atrium.latencies, 0.5) / _percentile(baseline.latencies, 0.5):.3f}"
    )
    print(f"goal >= {GOAL_RATIO}x throughput: {'met' if ratio >= GOAL_RATIO else 'NOT met'}")
    peak_met = "met" if atrium.peak_mb < GOAL_PEAK_MB else "NOT met"
    print(f"goal Atrium peak RSS < {GOAL_PEAK_MB:g} MB: {peak_met}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server (a scratch database is created there and dropped); "
        "default: a SQLite file in a temporary directory",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0, help="per side and round")
    parser.add_argument("--warmup", type=float, default=2.0, help="per side, not measured")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args(argv if argv is not None else [])
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    with _database(args.database_url) as url:
        data = asyncio.run(seed(url, args.threads, args.messages))
        atrium, baseline = asyncio.run(run(args, data))
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    report(atrium, baseline, args, backend)


if __name__ == "__main__":
    main(sys.argv[1:])
