"""Process-wide services created once at start-up and shared by every request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.config import Settings
from atrium.core.context import Context
from atrium.core.db import Database
from atrium.core.jobs import Worker
from atrium.core.limits import RateLimiter, RateLimitState, create_rate_limiter
from atrium.core.mailer import Mailer, create_mailer
from atrium.core.pubsub import Event, EventBus

EventHook = Callable[[Context, AsyncSession, Event], Awaitable[None]]


class Services:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        mailer: Mailer | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.mailer = mailer or create_mailer(settings.mailer)
        self.rate_limiter = rate_limiter or create_rate_limiter(settings.redis_url)
        self.bus = EventBus(settings.broadcast_url, queue_size=settings.bus_queue_size)
        # Called for every recorded event inside its transaction (webhooks enqueue here).
        self.event_hooks: list[EventHook] = []

        self.worker: Worker | None = None

    def create_worker(self) -> Worker:
        settings = self.settings
        return Worker(
            self.db,
            self,
            concurrency=settings.worker_concurrency,
            backoff_base=settings.job_retry_base_seconds,
            lease_seconds=settings.job_lease_seconds,
        )

    async def start(self, *, with_worker: bool | None = None) -> None:
        """Connect the bus and, unless separate workers do it, run jobs in this process."""
        await self.bus.start()
        if with_worker if with_worker is not None else self.settings.run_worker:
            self.worker = self.create_worker()
            self.worker.start()

    def hourly_budget(self, plan: str | None) -> int:
        settings = self.settings
        return {
            "FREE": settings.rate_limit_free_per_hour,
            "PRO": settings.rate_limit_pro_per_hour,
            "ULTIMATE": settings.rate_limit_ultimate_per_hour,
        }.get(plan or "", settings.rate_limit_anonymous_per_hour)

    async def consume_rate_limit(self, context: Context, points: int) -> RateLimitState:
        """Charge ``points`` to the caller: per key or user, or per client IP when anonymous."""
        principal = context.principal
        key = principal.rate_limit_key
        if key is None:
            return await self.rate_limiter.consume(
                f"ip:{context.client_ip or 'unknown'}",
                points,
                self.settings.rate_limit_anonymous_per_hour,
            )
        return await self.rate_limiter.consume(key, points, self.hourly_budget(principal.plan))

    def readiness_checks(self) -> dict[str, Callable[[], Awaitable[object]]]:
        """Dependencies beyond the database that must answer before we take traffic."""
        checks: dict[str, Callable[[], Awaitable[object]]] = {}
        checks["bus"] = self._bus_ready
        ping = getattr(self.rate_limiter, "ping", None)
        if ping is not None:
            checks["redis"] = ping
        return checks

    async def _bus_ready(self) -> None:
        if not self.bus.connected:
            raise ConnectionError("event bus is not connected")

    async def close(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
        # The LLM proxies' recorder writes the calls it still holds (resolvers/llm).
        llm = getattr(self, "llm_runtime", None)
        if llm is not None:
            await llm.close()
        await self.bus.close()
        close = getattr(self.rate_limiter, "close", None)
        if close is not None:
            await close()
        await self.db.dispose()
