"""Pick the provider a config asks for."""

from __future__ import annotations

from atrium.providers.base import ChatProvider, ProviderConfig
from atrium.providers.offline import OfflineProvider

KINDS = ("offline", "openai")


def create_provider(config: ProviderConfig) -> ChatProvider:
    """The provider for ``config.kind``; an unknown kind is a configuration mistake, so it
    fails loudly here rather than when the first reply is due."""
    if config.kind == "offline":
        return OfflineProvider(config)
    if config.kind == "openai":
        # Imported here: the SDK takes a noticeable time to import and offline setups never
        # need it.
        from atrium.providers.openai_compatible import OpenAICompatibleProvider

        return OpenAICompatibleProvider(config)
    raise ValueError(f"unknown chat provider kind {config.kind!r}; expected one of {KINDS}")
