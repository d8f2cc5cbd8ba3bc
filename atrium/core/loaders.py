"""Per-request DataLoaders, registered on the context by their batch function.

A batch function is a plain ``async def load_x(ctx, keys) -> list`` in
``resolvers/<domain>/loaders.py``; ``ctx.loaders.get(load_x)`` returns the request's one
loader for it, so every field that needs ``x`` shares a batch and a cache.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from strawberry.dataloader import DataLoader

if TYPE_CHECKING:
    from atrium.core.context import Context

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")

BatchFn = Callable[["Context", list[K]], Awaitable[Sequence[V]]]


class _NotLoaded:
    def __repr__(self) -> str:
        return "NOT_LOADED"


NOT_LOADED: Any = _NotLoaded()
"""What :meth:`LoaderRegistry.peek` answers for a key that no batch has loaded yet."""


class LoaderRegistry:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._loaders: dict[Callable[..., Any], DataLoader[Any, Any]] = {}
        self._converted: dict[tuple[Callable[..., Any], Callable[..., Any], Any], Any] = {}

    def get(self, batch_fn: BatchFn[K, V]) -> DataLoader[K, V]:
        loader = self._loaders.get(batch_fn)
        if loader is None:
            context = self._context

            async def load(keys: list[K]) -> Sequence[V]:
                return await batch_fn(context, keys)

            loader = DataLoader(load_fn=load)
            self._loaders[batch_fn] = loader
        return loader

    def peek(self, batch_fn: BatchFn[K, V], key: K) -> V:
        """The value already loaded (or primed) for ``key``, else :data:`NOT_LOADED`.

        Lets a resolver stay synchronous when a batch of the level above has loaded what
        it needs (DESIGN.md, speed notes: an awaitable per row is what costs most); it
        falls back to ``get(batch_fn).load(key)`` otherwise. A failed load is NOT_LOADED
        too, so the fallback raises the error where the field resolves.
        """
        loader = self._loaders.get(batch_fn)
        future = loader.cache_map.get(key) if loader is not None else None
        if future is None or not future.done() or future.cancelled() or future.exception():
            return cast("V", NOT_LOADED)
        return cast("V", future.result())

    def peek_converted(
        self, batch_fn: BatchFn[K, V | None], key: K, convert: Callable[[V], T]
    ) -> T | None:
        """:meth:`peek`, converted with ``convert`` once per request and key.

        A page of 1,000 messages by 10 people asks for the same 10 authors 1,000 times:
        they share 10 converted objects (graph types are not changed while a request
        resolves) instead of building 1,000. None (a row hidden or missing) stays None;
        :data:`NOT_LOADED` is not remembered.
        """
        memo = (batch_fn, convert, key)
        value = self._converted.get(memo, NOT_LOADED)
        if value is NOT_LOADED:
            row = self.peek(batch_fn, key)
            if row is NOT_LOADED:
                return cast("T", NOT_LOADED)
            value = self._converted[memo] = None if row is None else convert(row)
        return cast("T | None", value)

    def clear(self) -> None:
        """Forget cached rows, e.g. after a mutation changed them."""
        self._converted.clear()
        for loader in self._loaders.values():
            loader.clear_all()

    def release(self) -> None:
        """Drop the loaders and what they loaded, at the end of the request.

        A loader's batch function holds the context, which holds this registry: a
        reference cycle, which only a collection of the garbage collector's oldest
        generation frees. Until one runs, every finished request keeps its rows (a
        nested read's 1,000 messages), and that collection then scans them all: at 8
        concurrent nested reads, 10 MB more peak memory and 2 ms more CPU a request
        (bench/bench_nested_read.py). Without the loaders there is no cycle, and a
        request's rows go with its response. The registry stays usable: a later
        ``get`` makes a new loader.
        """
        self.clear()
        self._loaders.clear()
