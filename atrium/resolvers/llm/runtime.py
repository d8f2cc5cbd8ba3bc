"""Per-process state of the LLM proxy: the clock, one pooled HTTP client, short caches,
the usage ledger and the recorder.

The hot path (a call through ``/llm/{proxyId}``) must not read the database on every
call: a proxy's upstream, a virtual key and an organization's limit definitions are
cached here for ``CACHE_SECONDS``. Changes made through this process drop the entries
at once (and again once their transaction has committed, so a call racing the change
cannot re-cache the old row); other processes see them within ``CACHE_SECONDS`` (a
revoked virtual key keeps working there for up to that long). Usage counters are kept
by the :class:`~atrium.resolvers.llm.ledger.UsageLedger` (exact for this process,
re-read every ``COUNTER_SECONDS`` for the others), and calls are written by the
:class:`~atrium.resolvers.llm.recorder.UsageRecorder`, off the request path.

The clock is injectable (tests move it to see limits reset); every timestamp the proxy
writes and every window it computes comes from it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from atrium.engines.llm import Clock, LimitInterval, LimitRule, system_clock
from atrium.resolvers.llm.ledger import UsageLedger

if TYPE_CHECKING:
    import httpx

    from atrium.resolvers.llm.recorder import UsageRecorder

CACHE_SECONDS = 5.0
K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.now = now
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None or item[0] < self.now():
            return None
        return item[1]

    def put(self, key: K, value: V) -> V:
        if len(self._items) > 10_000:
            self._items.clear()
        self._items[key] = (self.now() + self.seconds, value)
        return value

    def drop(self, key: K) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()


@dataclass(frozen=True)
class ProxyConfig:
    """An LLM_PROXY agent as the hot path needs it."""

    id: str
    organization_id: str
    name: str
    base_url: str | None
    api_key: str | None
    model: str | None
    team_ids: frozenset[str]


@dataclass(frozen=True)
class KeyEntry:
    id: str
    organization_id: str
    agent_id: str
    key_hash: str
    user_id: str | None
    team_id: str | None
    expires_at: Any  # datetime | None
    revoked: bool


@dataclass(frozen=True)
class CachedLimit:
    rule: LimitRule
    interval: LimitInterval
    anchor_at: Any  # datetime


@dataclass
class LlmRuntime:
    clock: Clock = system_clock
    proxies: TtlCache[str, ProxyConfig | None] = field(
        default_factory=lambda: TtlCache(CACHE_SECONDS)
    )
    keys: TtlCache[str, KeyEntry | None] = field(default_factory=lambda: TtlCache(CACHE_SECONDS))
    limits: TtlCache[str, list[CachedLimit]] = field(
        default_factory=lambda: TtlCache(CACHE_SECONDS)
    )
    ledger: UsageLedger = field(default_factory=UsageLedger)
    key_last_used: dict[str, Any] = field(default_factory=dict)  # virtual key ID -> datetime
    services: Any = None  # the process's services (the recorder writes through them)
    recorder: UsageRecorder | None = None  # created on first use (``recorder.recorder_of``)
    _http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        """One pooled client for every upstream: no TCP or TLS handshake per call."""
        if self._http is None or self._http.is_closed:
            import httpx  # on first use: with its command line (rich, pygments), 4 MB

            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(connect=10.0, read=300.0, write=60.0, pool=10.0),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
                follow_redirects=False,
            )
        return self._http

    async def close(self) -> None:
        """Write every recorded call still queued, then close the HTTP client."""
        if self.recorder is not None:
            await self.recorder.close()
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def llm_runtime(services: Any) -> LlmRuntime:
    """The process's runtime, kept on the shared services object."""
    if services is None:
        return _DETACHED
    runtime = getattr(services, "llm_runtime", None)
    if runtime is None:
        runtime = LlmRuntime(services=services)
        services.llm_runtime = runtime
    return runtime


_DETACHED = LlmRuntime()  # contexts without services (scripts, some tests)
