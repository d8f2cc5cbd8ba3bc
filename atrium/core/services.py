"""Process-wide services created once at start-up and shared by every request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from atrium.core.config import Settings
from atrium.core.context import Context
from atrium.core.db import Database
from atrium.core.limits import RateLimiter, RateLimitState, create_rate_limiter
from atrium.core.mailer import Mailer, create_mailer


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
        ping = getattr(self.rate_limiter, "ping", None)
        if ping is not None:
            checks["redis"] = ping
        return checks

    async def close(self) -> None:
        close = getattr(self.rate_limiter, "close", None)
        if close is not None:
            await close()
        await self.db.dispose()
