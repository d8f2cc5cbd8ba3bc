"""atrium serve | worker | migrate | seed-demo | bootstrap | export-schema."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from atrium.core.config import get_settings
from atrium.core.logging import configure_logging


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(
        "atrium.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        timeout_graceful_shutdown=20,
        proxy_headers=True,
        ws_per_message_deflate=settings.ws_compression,
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    """Run durable jobs in this process until SIGTERM/SIGINT, then drain gracefully."""
    import signal

    from atrium.app import create_app

    settings = get_settings().model_copy(update={"run_worker": False})
    configure_logging(settings.log_level, settings.log_json)

    async def run() -> None:
        app = create_app(settings)  # the same wiring (job handlers, event hooks) as serve
        services = app.state.atrium.services
        await services.start(with_worker=False)
        worker = services.create_worker()
        if args.concurrency:
            worker.concurrency = args.concurrency
        services.worker = worker
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        worker.start()
        print(f"atrium worker {worker.id} running (concurrency {worker.concurrency})", flush=True)
        await stop.wait()
        await services.close()  # stops claiming, waits for running jobs, closes the bus

    asyncio.run(run())
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from atrium.core.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database migrated")
    return 0


def _seed_demo(_: argparse.Namespace) -> int:
    from atrium.demo import seed_demo

    secret = asyncio.run(seed_demo(get_settings()))
    if secret:
        print("Demo data created. Admin API key (shown once, store it):")
        print(f"  {secret}")
        print('Use it in GraphiQL\'s headers: {"Authorization": "Bearer ' + secret + '"}')
    else:
        print("Demo data already present (its admin key was printed when it was created).")
    return 0


def _bootstrap(args: argparse.Namespace) -> int:
    from atrium.demo import bootstrap

    try:
        secret = asyncio.run(bootstrap(get_settings(), email=args.email, org_name=args.org))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(secret)
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from atrium.schema import sdl

    text = sdl()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="atrium", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run durable jobs (scale out with several)")
    worker.add_argument("--concurrency", type=int, default=0, help="jobs at once (settings)")
    worker.set_defaults(run=_worker)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    commands.add_parser("seed-demo", help="create demo data (idempotent)").set_defaults(
        run=_seed_demo
    )

    boot = commands.add_parser("bootstrap", help="create a user, an org and an ADMIN key")
    boot.add_argument("--email", required=True)
    boot.add_argument("--org", required=True)
    boot.set_defaults(run=_bootstrap)

    export = commands.add_parser("export-schema", help="write the SDL")
    export.add_argument("--output", "-o", default="schema.graphql")
    export.set_defaults(run=_export_schema)

    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
