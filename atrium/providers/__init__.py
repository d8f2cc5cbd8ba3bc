"""Chat-model providers: where agents' replies come from (see ``base`` for the interface).

``OpenAICompatibleProvider`` lives in ``atrium.providers.openai_compatible`` and is not
imported here, so importing this package does not load the OpenAI SDK.
"""

from atrium.providers.base import (
    ChatMessage,
    ChatProvider,
    Delta,
    ProviderConfig,
    ProviderError,
    StreamItem,
    Usage,
)
from atrium.providers.factory import create_provider
from atrium.providers.offline import OfflineProvider

__all__ = [
    "ChatMessage",
    "ChatProvider",
    "Delta",
    "OfflineProvider",
    "ProviderConfig",
    "ProviderError",
    "StreamItem",
    "Usage",
    "create_provider",
]
