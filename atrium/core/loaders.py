"""Per-request DataLoaders, registered on the context by their batch function.

A batch function is a plain ``async def load_x(ctx, keys) -> list`` in
``resolvers/<domain>/loaders.py``; ``ctx.loaders.get(load_x)`` returns the request's one
loader for it, so every field that needs ``x`` shares a batch and a cache.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.dataloader import DataLoader

if TYPE_CHECKING:
    from atrium.core.context import Context

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchFn = Callable[["Context", list[K]], Awaitable[Sequence[V]]]


class LoaderRegistry:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._loaders: dict[Callable[..., Any], DataLoader[Any, Any]] = {}

    def get(self, batch_fn: BatchFn[K, V]) -> DataLoader[K, V]:
        loader = self._loaders.get(batch_fn)
        if loader is None:
            context = self._context

            async def load(keys: list[K]) -> Sequence[V]:
                return await batch_fn(context, keys)

            loader = DataLoader(load_fn=load)
            self._loaders[batch_fn] = loader
        return loader

    def clear(self) -> None:
        """Forget cached rows, e.g. after a mutation changed them."""
        for loader in self._loaders.values():
            loader.clear_all()
