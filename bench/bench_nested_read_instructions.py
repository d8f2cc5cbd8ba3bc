"""Nested read, counted in CPU instructions: the same comparison as ``bench_nested_read``
without the noise of a shared machine.

Wall-clock and CPU-time ratios on this 2-core VM move by ±10% from one run to the next
(neighbours, frequency). Instructions executed do not: this runs each app in its own
process under valgrind's callgrind, instrumented only while it serves ``--requests``
requests (8 at a time, straight through ASGI, no HTTP server or client) after a warm-up,
and counts every instruction of every thread (SQLite's included). Repeated runs agree
within 0.5%. Instructions are not time (Atrium touches more memory per instruction), so
``bench_nested_read`` remains the measure of the goal; this one tells a change's effect.

    python -m bench.bench_nested_read_instructions [--requests 24]

Needs ``valgrind`` (apt); without it, it says so and exits. About a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from bench.bench_nested_read import QUERY, SECRET, _database, seed

CONCURRENCY = 8
WARM_UP = 2  # rounds of CONCURRENCY requests before counting


async def _call(app: Any, method: str, path: str, query: bytes, body: bytes, key: str) -> None:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the app never reads past the body
        return {}

    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    headers = [
        (b"host", b"bench"),
        (b"authorization", f"Bearer {key}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
        "state": {},
    }
    await app(scope, receive, send)
    if status != [200]:
        raise RuntimeError(f"{path} answered {status}")


async def _serve(side: str, url: str, key: str, user: str, org: str, requests: int) -> None:
    """The worker: warm up, say ready, count ``requests`` when told, say done."""
    from atrium.app import create_app
    from atrium.core.config import Settings
    from bench import nested_read_baseline

    if side == "atrium":
        app: Any = create_app(
            Settings(
                database_url=url,
                secret_key=SECRET,
                rate_limit_free_per_hour=10**9,
                log_level="WARNING",
            )
        )
        request = ("POST", "/graphql", b"", orjson.dumps({"query": QUERY % (50, 20)}))
    else:
        app = nested_read_baseline.create_app(url, key, user, org)
        request = ("GET", "/threads", b"first=50&messages=20", b"")

    async def burst() -> None:
        await asyncio.gather(*(_call(app, *request, key) for _ in range(CONCURRENCY)))

    async with app.router.lifespan_context(app):
        for _ in range(WARM_UP):
            await burst()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        for _ in range(requests // CONCURRENCY):
            await burst()
        print("done", flush=True)
        await asyncio.to_thread(sys.stdin.readline)


def _count(side: str, url: str, key: str, user: str, org: str, requests: int) -> float:
    """Instructions per request of ``side``, from a callgrind run of its worker."""
    with tempfile.TemporaryDirectory(prefix="atrium-callgrind-") as directory:
        out = Path(directory) / "callgrind.out"
        worker = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-m",
                "bench.bench_nested_read_instructions",
                "--worker",
                side,
                url,
                key,
                user,
                org,
                str(requests),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert worker.stdin is not None and worker.stdout is not None

        def expect(word: str) -> None:
            line = worker.stdout.readline().strip() if worker.stdout else ""
            if line != word:
                worker.kill()
                raise RuntimeError(f"the {side} worker said {line!r}, not {word!r}")

        def instrument(on: bool) -> None:
            switch = "on" if on else "off"
            subprocess.run(
                ["callgrind_control", "-i", switch, str(worker.pid)],
                check=True,
                capture_output=True,
            )

        expect("ready")
        instrument(True)
        worker.stdin.write("go\n")
        worker.stdin.flush()
        expect("done")
        instrument(False)
        worker.stdin.write("exit\n")
        worker.stdin.flush()
        worker.wait(timeout=600)
        totals = [
            int(line.split()[1])
            for path in Path(directory).glob("callgrind.out*")
            for line in path.read_text().splitlines()
            if line.startswith("totals:")
        ]
    return sum(totals) / requests


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=24, help="counted, per side")
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        side, url, key, user, org, requests = args.worker
        asyncio.run(_serve(side, url, key, user, org, int(requests)))
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (apt install valgrind): skipped")
        return
    requests = max(CONCURRENCY, args.requests // CONCURRENCY * CONCURRENCY)
    with _database(None) as url:
        data = asyncio.run(seed(url, 50, 20))
        counts = {
            side: _count(side, url, data.key, data.user_id, data.organization_id, requests)
            for side in ("baseline", "atrium")
        }
    print(
        f"SQLite; 50 threads x 20 messages; {requests} requests per side, {CONCURRENCY} at a time"
    )
    print(f"hand-written    {counts['baseline'] / 1e6:7.1f} M instructions per request")
    print(f"Atrium GraphQL  {counts['atrium'] / 1e6:7.1f} M instructions per request")
    print(f"ratio hand-written/Atrium: {counts['baseline'] / counts['atrium']:.3f}")


if __name__ == "__main__":
    main()
