"""The per-request context: one session, the caller, loaders and pending events.

Session rules (DESIGN.md "Rules of the road"):

* one ``AsyncSession`` per request, committed once by the transport when the operation
  finishes, rolled back if the transport fails;
* every mutation field runs in :meth:`Context.transaction`, a SAVEPOINT: a mutation
  that returns ``userErrors`` or raises leaves nothing behind;
* reads go through :meth:`Context.session`, which serialises use of the session with a
  lock, because sibling fields resolve concurrently and an ``AsyncSession`` does not
  allow concurrent operations. Loader batches therefore see the request's own writes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.auth import ANONYMOUS, Principal
from atrium.core.config import Settings
from atrium.core.db import Database
from atrium.core.events import record_event
from atrium.core.jobs import JobContext, enqueue
from atrium.core.limits import RateLimitState
from atrium.core.loaders import LoaderRegistry
from atrium.core.pubsub import Event
from atrium.models.jobs import Job

AfterCommit = Callable[[], Awaitable[None]]
logger = logging.getLogger("atrium.context")


class Context:
    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        principal: Principal = ANONYMOUS,
        request_id: str = "",
        services: Any = None,
        client_ip: str | None = None,
        read_only: bool = False,
    ) -> None:
        self.db = db
        self.settings = settings
        self.principal = principal
        self.request_id = request_id
        self.services = services
        self.client_ip = client_ip
        self.loaders = LoaderRegistry(self)
        self.response_headers: dict[str, str] = {}
        self.rate_limit: RateLimitState | None = None
        # Set while a routine fires: what it does must not fire routines in turn (a
        # routine on thread.created that creates a thread would loop forever).
        self.firing_routine_id: str | None = None
        # A query's context reads through a read-only session (``Database``) until a
        # mutation field asks for a transaction.
        self.read_only = read_only
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._after_commit: list[AfterCommit] = []
        # What resolvers derived from the query's selection, by field nodes (see
        # ``schema.common``): the same for every item of a list.
        self.selection_memo: dict[Any, tuple[Any, Any]] = {}

    @classmethod
    def for_job(cls, job: JobContext) -> Context:
        """The context a job handler works in: the worker's database and services, no
        caller (handlers that act for someone set ``principal`` themselves)."""
        return cls.for_services(job.services)

    @classmethod
    def for_services(cls, services: Any, *, principal: Principal = ANONYMOUS) -> Context:
        """A context outside a GraphQL request (jobs, the MCP and LLM endpoints)."""
        return cls(
            db=services.db, settings=services.settings, services=services, principal=principal
        )

    def _get_session(self) -> AsyncSession:
        if self._session is None:
            maker = self.db.read_sessionmaker if self.read_only else self.db.sessionmaker
            self._session = maker()
        return self._session

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The request's session, held exclusively for the duration of the block."""
        async with self._lock:
            yield self._get_session()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A SAVEPOINT around one mutation field; rolled back if the block raises.

        Mutation fields run one after another, so this does not take the read lock:
        services may call loaders inside it. A context that began read-only (a document
        the transport took for a query) ends its read transaction, which wrote nothing,
        and goes on in a write session.
        """
        if self.read_only:
            self.read_only = False
            if self._session is not None:
                await self._session.commit()
                await self._session.close()
                self._session = None
        session = self._get_session()
        async with session.begin_nested():
            yield session

    async def emit(
        self,
        session: AsyncSession,
        *,
        topics: Sequence[str],
        type: str,
        payload: dict[str, Any],
        organization_id: str | None = None,
        durable: bool = True,
    ) -> list[Event]:
        """Queue a domain event on each topic, published once the request commits.

        Durable events are stored in this transaction (``core.events``) and so vanish with
        a rollback; ephemeral ones (typing, token deltas) are only ever sent live.
        """
        events: list[Event] = []
        actor = self.principal.user_id or self.principal.service_account_id
        for topic in topics:
            if durable:
                event = await record_event(
                    session,
                    topic=topic,
                    type=type,
                    payload=payload,
                    organization_id=organization_id,
                    actor_id=actor,
                )
            else:
                event = Event(
                    type=type, topic=topic, payload=payload, organization_id=organization_id
                )
            events.append(event)
            for hook in getattr(self.services, "event_hooks", ()):
                await hook(self, session, event)
        bus = getattr(self.services, "bus", None)
        if bus is not None:

            async def publish() -> None:
                for event in events:
                    await bus.publish(event)

            self.after_commit(publish)
        return events

    async def enqueue(
        self,
        session: AsyncSession,
        kind: str,
        payload: dict[str, Any],
        *,
        organization_id: str | None = None,
        max_attempts: int = 5,
    ) -> Job:
        """Enqueue a durable job in this transaction; wake the local worker after commit."""
        job = await enqueue(
            session, kind, payload, organization_id=organization_id, max_attempts=max_attempts
        )
        worker = getattr(self.services, "worker", None)
        if worker is not None:

            async def wake() -> None:
                worker.wake()

            self.after_commit(wake)
        return job

    async def write_soon(self, session: AsyncSession, statement: Executable) -> None:
        """A small write that a read causes (a "last used" stamp): in ``session`` when the
        context may write, else in a transaction of its own once the request committed
        (best effort: such stamps are informational, and an answered request must not
        fail for one)."""
        if not self.read_only:
            await session.execute(statement)
            return
        db = self.db

        async def write() -> None:
            try:
                async with db.sessionmaker() as own:
                    await own.execute(statement)
                    await own.commit()
            except Exception:
                logger.warning("a deferred write failed", exc_info=True)

        self.after_commit(write)

    def after_commit(self, callback: AfterCommit) -> None:
        """Run ``callback`` once the request's transaction has committed (never on rollback)."""
        self._after_commit.append(callback)

    def discard_after_commit(self, start: int) -> None:
        del self._after_commit[start:]

    @property
    def pending_after_commit(self) -> int:
        return len(self._after_commit)

    async def commit(self) -> None:
        if self._session is not None:
            await self._session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            await callback()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._after_commit = []
        self.loaders.release()
