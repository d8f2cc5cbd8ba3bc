"""Which endpoint and key an agent's replies use."""

from __future__ import annotations

from atrium.core.config import Settings
from atrium.models.agents import Agent
from atrium.resolvers.threads.replies import provider_config

SETTINGS = Settings(
    llm_provider="openai", llm_base_url="https://llm.internal/v1", llm_api_key="sk-server"
)


def test_the_servers_key_goes_only_to_the_servers_endpoint() -> None:
    # given an agent pointed at an endpoint of its own, with no key of its own
    agent = Agent(provider="openai", provider_base_url="https://elsewhere.test/v1")
    # then its requests carry no key at all (never the server's)
    config = provider_config(agent, SETTINGS)
    assert (config.base_url, config.api_key) == ("https://elsewhere.test/v1", None)


def test_agents_without_an_endpoint_use_the_servers() -> None:
    assert provider_config(Agent(), SETTINGS).api_key == "sk-server"
    own_key = provider_config(Agent(provider_api_key="sk-agent"), SETTINGS)
    assert (own_key.base_url, own_key.api_key) == ("https://llm.internal/v1", "sk-agent")
